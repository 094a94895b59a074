//! The projection runtime: consumes Kafka topics and applies pure reducers to Postgres read models with the offset in the same transaction.
