//! Plinth's published contract, exactly what a downstream team sees: the Avro schema of every
//! event (`avro/**/*.avsc`), the topic and subject each is published under, and the mapping
//! between domain events and Avro records in both directions.
//!
//! - [`catalog`] lists every published event type.
//! - [`encode`] turns a stored domain event (JSON payload) into an Avro value; secrets such as
//!   password hashes are dropped here and never published.
//! - [`decode`] turns an Avro value read from Kafka into a typed [`PublishedEvent`].
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

pub use catalog::{EventSchema, WITHHELD, catalog, schema_for_event, schema_for_record};
pub use compatibility::{Compatibility, check_compatibility};

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

/// Every event Plinth publishes, as a downstream consumer decodes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishedEvent {
    UserRegistered(identity::UserRegisteredV1),
    LoginSucceeded(identity::UserFactV1),
    LoginFailed(identity::LoginFailedV1),
    AccountLocked(identity::AccountLockedV1),
    DisplayNameChanged(identity::DisplayNameChangedV1),
    PasswordChanged(identity::PasswordChangedV2),
    EmailVerificationIssued(identity::TokenIssuedV1),
    EmailVerified(identity::EmailVerifiedV1),
    PasswordResetRequested(identity::UserFactV1),
    PasswordResetIssued(identity::TokenIssuedV1),
    PasswordReset(identity::UserFactV1),
    UserDisabled(identity::UserFactV1),
    UserEnabled(identity::UserFactV1),
    AdministratorBootstrapped(identity::UserFactV1),
    SessionStarted(identity::SessionStartedV1),
    SessionRefreshed(identity::SessionRefreshedV1),
    SessionRevoked(identity::SessionRevokedV1),
    SigningKeyRotated(identity::SigningKeyRotatedV1),
    RoleCreated(authz::RoleCreatedV1),
    RoleRenamed(authz::RoleRenamedV1),
    RolePermissionsGranted(authz::RolePermissionsV1),
    RolePermissionsRevoked(authz::RolePermissionsV1),
    RoleIncluded(authz::RoleLinkV1),
    RoleExcluded(authz::RoleLinkV1),
    RoleDeleted(authz::RoleDeletedV1),
    SubjectBound(authz::SubjectBoundV1),
    SubjectUnbound(authz::SubjectUnboundV1),
    AccessDecided(authz::AccessDecidedV2),
    RecordAppended(plinth_domain_audit::AuditRecord),
    CheckpointSigned(plinth_domain_audit::Checkpoint),
}

/// Maps a stored domain event (as the event store keeps it: aggregate type, event type and JSON
/// payload) to its published Avro value.
pub fn encode(
    aggregate_type: &str,
    event_type: &str,
    payload: &serde_json::Value,
) -> Result<AvroEvent> {
    let schema =
        schema_for_event(aggregate_type, event_type).ok_or_else(|| Error::UnknownEvent {
            aggregate_type: aggregate_type.to_owned(),
            event_type: event_type.to_owned(),
        })?;
    let value = match schema.aggregate_type {
        "identity.user" => identity::encode_user_event(event_type, payload)?,
        "identity.session" => identity::encode_session_event(event_type, payload)?,
        "identity.signing_key" => identity::encode_signing_key_event(event_type, payload)?,
        "authz.role" => authz::encode_role_event(event_type, payload)?,
        "authz.binding" => authz::encode_binding_event(event_type, payload)?,
        "authz.decision" => authz::encode_decision_event(event_type, payload)?,
        "audit.trail" => audit::encode_trail_event(event_type, payload)?,
        "audit.checkpoint" => audit::encode_checkpoint_event(event_type, payload)?,
        other => return Err(Error::UnknownRecord(other.to_owned())),
    };
    let value = value
        .resolve(schema.parsed())
        .map_err(|e| avro_error(schema.record_name, e))?;
    Ok(AvroEvent { schema, value })
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
    let value = authz::record(vec![
        ("event_id", Value::Uuid(event.event_id)),
        (
            "aggregate_type",
            Value::String(event.aggregate_type.clone()),
        ),
        ("aggregate_id", Value::String(event.aggregate_id.clone())),
        ("sequence", Value::Long(event.sequence)),
        ("event_type", Value::String(event.event_type.clone())),
        ("reason", Value::String(event.reason.clone())),
        ("at", authz::micros(event.at)),
    ])
    .resolve(WITHHELD.parsed())
    .map_err(|e| avro_error(WITHHELD.record_name, e))?;
    Ok(AvroEvent {
        schema: &WITHHELD,
        value,
    })
}

/// Maps an Avro value read from Kafka (record full name from the writer's schema) to a typed event.
pub fn decode(record_full_name: &str, value: Value) -> Result<PublishedEvent> {
    if record_full_name.starts_with("plinth.authz.") {
        authz::decode(record_full_name, value)
    } else if record_full_name.starts_with("plinth.audit.") {
        audit::decode(record_full_name, value)
    } else {
        identity::decode(record_full_name, value)
    }
}

pub(crate) fn avro_error(record: &str, error: apache_avro::Error) -> Error {
    Error::Avro {
        record: record.to_owned(),
        source: Box::new(error),
    }
}
