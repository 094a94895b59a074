//! Reading a decoded Avro record's fields by name.

use apache_avro::types::Value;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{Error, Result, avro_error};

/// The fields of a decoded record, read by name: what a [`DecodeEvent`](crate::DecodeEvent)
/// implementation reads its events with.
pub struct Fields {
    record: &'static str,
    fields: Vec<(String, Value)>,
}

impl Fields {
    pub fn new(record: &'static str, value: Value) -> Result<Self> {
        match value {
            Value::Record(fields) => Ok(Self { record, fields }),
            _ => Err(Self::bad(record, "not a record")),
        }
    }

    pub fn bad(record: &str, what: &str) -> Error {
        avro_error(
            record,
            apache_avro::Error::from(apache_avro::error::Details::DeserializeValue(
                what.to_owned(),
            )),
        )
    }

    pub fn get(&self, name: &str) -> Result<&Value> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .ok_or_else(|| Self::bad(self.record, name))
    }

    pub fn uuid(&self, name: &str) -> Result<Uuid> {
        match self.get(name)? {
            Value::Uuid(v) => Ok(*v),
            Value::String(v) => Uuid::parse_str(v).map_err(|_| Self::bad(self.record, name)),
            _ => Err(Self::bad(self.record, name)),
        }
    }

    pub fn string(&self, name: &str) -> Result<String> {
        match self.get(name)? {
            Value::String(v) => Ok(v.clone()),
            _ => Err(Self::bad(self.record, name)),
        }
    }

    pub fn long(&self, name: &str) -> Result<i64> {
        match self.get(name)? {
            Value::Long(v) => Ok(*v),
            _ => Err(Self::bad(self.record, name)),
        }
    }

    pub fn int(&self, name: &str) -> Result<i32> {
        match self.get(name)? {
            Value::Int(v) => Ok(*v),
            _ => Err(Self::bad(self.record, name)),
        }
    }

    pub fn time(&self, name: &str) -> Result<DateTime<Utc>> {
        match self.get(name)? {
            Value::TimestampMicros(v) | Value::Long(v) => {
                DateTime::from_timestamp_micros(*v).ok_or_else(|| Self::bad(self.record, name))
            }
            _ => Err(Self::bad(self.record, name)),
        }
    }

    /// A union's value, `None` for its null branch.
    fn optional(&self, name: &str) -> Result<Option<&Value>> {
        Ok(match self.get(name)? {
            Value::Union(_, inner) => match inner.as_ref() {
                Value::Null => None,
                other => Some(other),
            },
            Value::Null => None,
            other => Some(other),
        })
    }

    pub fn optional_string(&self, name: &str) -> Result<Option<String>> {
        match self.optional(name)? {
            None => Ok(None),
            Some(Value::String(v)) => Ok(Some(v.clone())),
            Some(_) => Err(Self::bad(self.record, name)),
        }
    }

    pub fn optional_time(&self, name: &str) -> Result<Option<DateTime<Utc>>> {
        match self.optional(name)? {
            None => Ok(None),
            Some(Value::TimestampMicros(v) | Value::Long(v)) => DateTime::from_timestamp_micros(*v)
                .map(Some)
                .ok_or_else(|| Self::bad(self.record, name)),
            Some(_) => Err(Self::bad(self.record, name)),
        }
    }

    pub fn boolean(&self, name: &str) -> Result<bool> {
        match self.get(name)? {
            Value::Boolean(v) => Ok(*v),
            _ => Err(Self::bad(self.record, name)),
        }
    }

    pub fn strings(&self, name: &str) -> Result<Vec<String>> {
        match self.get(name)? {
            Value::Array(items) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    _ => Err(Self::bad(self.record, name)),
                })
                .collect(),
            _ => Err(Self::bad(self.record, name)),
        }
    }
}
