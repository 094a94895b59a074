//! The relay: publishes every committed event from Postgres to Kafka, in order, without gaps.
