//! Building Avro values from stored events: what an [`Encoder`](crate::Encoder) writes with.

use apache_avro::types::Value;
use chrono::{DateTime, Utc};

use crate::{Error, Result};

/// A `timestamp-micros` value.
pub fn micros(at: DateTime<Utc>) -> Value {
    Value::TimestampMicros(at.timestamp_micros())
}

/// A `["null", T]` union's value.
pub fn nullable(value: Option<Value>) -> Value {
    match value {
        None => Value::Union(0, Box::new(Value::Null)),
        Some(v) => Value::Union(1, Box::new(v)),
    }
}

/// An Avro record from `(field, value)` pairs.
pub fn record(fields: Vec<(&str, Value)>) -> Value {
    Value::Record(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// A stored event's JSON payload as the domain event it was written from.
pub fn payload<T: serde::de::DeserializeOwned>(
    event_type: &str,
    payload: &serde_json::Value,
) -> Result<T> {
    serde_json::from_value(payload.clone()).map_err(|source| Error::Payload {
        event_type: event_type.to_owned(),
        source,
    })
}
