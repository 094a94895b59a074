//! Plinth's published contract, exactly what a downstream team sees: the Avro schema of every
//! event (`avro/**/*.avsc`), the topic and subject each is published under, and the mapping
//! between domain events and Avro records in both directions.
//!
//! The kernel is open: each module hands over an [`EventSet`] (its schemas and its mapping from
//! stored events to Avro), and the composition root assembles the registered modules' sets into
//! the [`Catalog`] the relay and the audit recorder publish and record from. Start reading at
//! `catalog.rs`.
//!
//! - [`Catalog::encode`] turns a stored domain event (JSON payload) into an Avro value; secrets
//!   such as password hashes are dropped by the set's encoder and never published.
//! - [`DecodeEvent`] turns an Avro value read from Kafka into one module's typed events; the
//!   kernel's are [`identity::IdentityEvent`], [`authz::AuthzEvent`] and [`audit::AuditEvent`].
//! - [`check_published`] holds a set's schemas to its `published.lock` and its previous versions.
//!
//! Topics: one per aggregate type, `<prefix><aggregate type>` (default prefix `plinth.`).
//! Subjects: `TopicRecordNameStrategy`, `<topic>-<record full name>`, so one topic carries all of
//! an aggregate's event types and each evolves on its own.

pub mod audit;
pub mod authz;
mod catalog;
mod compatibility;
mod fields;
pub mod identity;
mod values;

pub use catalog::{Catalog, Encoder, EventSchema, EventSet, WITHHELD};
pub use compatibility::{Compatibility, check_compatibility, check_published, fingerprint};
pub use fields::Fields;
pub use values::{micros, nullable, payload, record};

use apache_avro::types::Value;

/// The default topic prefix.
pub const DEFAULT_TOPIC_PREFIX: &str = "plinth.";

/// The topic of an aggregate type: `plinth.` + `identity.user` = `plinth.identity.user`.
pub fn topic_name(prefix: &str, aggregate_type: &str) -> String {
    format!("{prefix}{aggregate_type}")
}

/// The registry subject of a record on a topic (`TopicRecordNameStrategy`).
pub fn subject_name(topic: &str, record_full_name: &str) -> String {
    format!("{topic}-{record_full_name}")
}

/// What can go wrong mapping between domain events and Avro.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no published schema for event {aggregate_type}/{event_type}")]
    UnknownEvent {
        aggregate_type: String,
        event_type: String,
    },
    #[error("no published schema for record {0}")]
    UnknownRecord(String),
    #[error("stored payload of {event_type} does not match the domain event: {source}")]
    Payload {
        event_type: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("the event catalog is inconsistent: {0}")]
    Catalog(String),
    #[error("Avro mapping of {record} failed: {source}")]
    Avro {
        record: String,
        #[source]
        source: Box<apache_avro::Error>,
    },
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A domain event made ready for publishing: its schema and its Avro value.
#[derive(Debug, Clone)]
pub struct AvroEvent {
    pub schema: &'static EventSchema,
    pub value: Value,
}

/// What a [`WITHHELD`] record says about the event it stands in for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withheld {
    pub event_id: uuid::Uuid,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub reason: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// The Avro value of a [`WITHHELD`] record.
pub fn withheld(event: &Withheld) -> Result<AvroEvent> {
    let value = record(vec![
        ("event_id", Value::Uuid(event.event_id)),
        (
            "aggregate_type",
            Value::String(event.aggregate_type.clone()),
        ),
        ("aggregate_id", Value::String(event.aggregate_id.clone())),
        ("sequence", Value::Long(event.sequence)),
        ("event_type", Value::String(event.event_type.clone())),
        ("reason", Value::String(event.reason.clone())),
        ("at", micros(event.at)),
    ])
    .resolve(WITHHELD.parsed())
    .map_err(|e| avro_error(WITHHELD.record_name, e))?;
    Ok(AvroEvent {
        schema: &WITHHELD,
        value,
    })
}

/// A module's published events as a consumer decodes them: one enum per module, one variant per
/// record.
pub trait DecodeEvent: Sized {
    /// Decodes an Avro value read from Kafka (record full name from the writer's schema).
    /// A record that is not one of these is [`Error::UnknownRecord`].
    fn decode(record_name: &str, value: Value) -> Result<Self>;
}

/// An Avro record as read from Kafka: its writer's full name and its value, not yet decoded
/// into any module's events.
#[derive(Debug, Clone, PartialEq)]
pub struct AvroRecord {
    pub name: String,
    pub value: Value,
}

impl AvroRecord {
    /// The record as one of a module's events.
    pub fn decode<E: DecodeEvent>(&self) -> Result<E> {
        E::decode(&self.name, self.value.clone())
    }
}

impl From<AvroEvent> for AvroRecord {
    fn from(event: AvroEvent) -> Self {
        Self {
            name: event.schema.record_name.to_owned(),
            value: event.value,
        }
    }
}

pub(crate) fn avro_error(record: &str, error: apache_avro::Error) -> Error {
    Error::Avro {
        record: record.to_owned(),
        source: Box::new(error),
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use crate::{AvroEvent, Catalog, Result};

    /// The kernel modules' catalog.
    pub(crate) fn catalog() -> Catalog {
        Catalog::new([
            &crate::identity::EVENTS,
            &crate::authz::EVENTS,
            &crate::audit::EVENTS,
        ])
        .unwrap()
    }

    /// A stored event mapped through the kernel's catalog.
    pub(crate) fn encode(
        aggregate_type: &str,
        event_type: &str,
        payload: &serde_json::Value,
    ) -> Result<AvroEvent> {
        catalog().encode(aggregate_type, event_type, payload)
    }
}
