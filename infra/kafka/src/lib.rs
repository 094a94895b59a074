//! Kafka plumbing for Plinth: producer and consumer settings, topics, headers, and the Confluent wire-format Avro codec.
