//! A Confluent-compatible schema registry stored in Postgres.
