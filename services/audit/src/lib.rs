//! The audit service. The [`Recorder`] consumes every domain topic (identity, authz, any
//! module's, and the access decisions the gateway reports), turns each event into an audit
//! record ([`draft`](draft::draft)) and appends it to its tenant's hash-chained `Trail`
//! (`plinth-domain-audit`), once per source event whatever is redelivered. The
//! [`Checkpointer`] signs where each trail stands every N records or T seconds; the sweeper
//! (`sweeper.rs`) checks the trail against the event store and has the relay publish again
//! what never reached it.
//! [`store`] and [`kafka`] read trails back from Postgres or from the topics for
//! `plinth audit verify`, and [`export`] writes them as JSONL or CSV.
//!
//! `http.rs` serves the trail and its checkpoints at `/v1/audit`. Start with `recorder.rs`.

mod checkpointer;
pub mod draft;
pub mod export;
mod http;
pub mod kafka;
mod keys;
mod module;
mod recorder;
pub mod store;
mod sweeper;

include!(concat!(env!("OUT_DIR"), "/manifest.rs"));

pub use checkpointer::Checkpointer;
pub use keys::{
    KeyError, load_or_create_signing_key, parse_public_key, public_key_pem, read_public_key,
};
pub use module::AuditModule;
pub use recorder::{Recorder, audited_aggregate_types};

use plinth_infra_module::{Migration, Migrations};

/// The index that makes recording exactly-once (on the event store's table).
pub const MIGRATIONS: Migrations = Migrations {
    component: "audit",
    steps: &[
        Migration {
            version: 1,
            name: "audit_sources",
            sql: include_str!("../migrations/0001_audit_sources.sql"),
        },
        Migration {
            version: 2,
            name: "audit_sweep",
            sql: include_str!("../migrations/0002_audit_sweep.sql"),
        },
    ],
};

/// What can go wrong recording, reading or exporting trails.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("the event store refused the append: {0}")]
    Store(String),
    /// Another writer appended first (or already recorded one of the events).
    #[error("another writer appended to the trail first")]
    Raced,
    #[error("Postgres: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("Postgres: {}", plinth_infra_postgres::describe(.0))]
    Postgres(#[from] tokio_postgres::Error),
    #[error(transparent)]
    Pool(#[from] plinth_infra_postgres::Error),
    #[error(transparent)]
    Read(#[from] plinth_infra_event_store::ReadError),
    #[error(transparent)]
    Kafka(#[from] plinth_infra_kafka::Error),
    #[error("Kafka: {0}")]
    Client(#[from] plinth_infra_kafka::rdkafka::error::KafkaError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("{what} is unreadable: {reason}")]
    Unreadable { what: String, reason: String },
    #[error("cannot write the export: {0}")]
    Write(String),
    #[error("the trail was changed behind the recorder: {0}")]
    Tampered(String),
}

/// A checkpoint as read from one copy (the database or the topic): its tenant, and the
/// checkpoint or why it could not be read.
pub type CheckpointCopy = (
    String,
    std::result::Result<plinth_domain_audit::Checkpoint, String>,
);

/// Result with this crate's [`AuditError`].
pub type Result<T, E = AuditError> = std::result::Result<T, E>;

/// How many events the relay published at least 30 s ago are in no audit trail (a full scan
/// of the store: for operators, `plinth status`).
pub async fn unrecorded(client: &impl plinth_infra_postgres::GenericClient) -> Result<i64> {
    let Some(published) = plinth_infra_relay::parking::published_up_to(client).await? else {
        return Ok(0);
    };
    Ok(client
        .query_one(
            include_str!("../sql/unrecorded.sql"),
            &[&published.transaction_id.to_string(), &published.position],
        )
        .await?
        .get(0))
}

/// The metadata of a command the audit service sends to `tenant`'s trail or checkpoint log.
fn service_metadata(tenant: &str) -> Result<plinth_domain_core::CommandMetadata> {
    let tenant_id =
        plinth_domain_core::TenantId::parse(tenant).map_err(|e| AuditError::Unreadable {
            what: format!("tenant {tenant}"),
            reason: e.to_string(),
        })?;
    Ok(plinth_domain_core::CommandMetadata::new(
        tenant_id,
        plinth_domain_core::Actor::Service("audit".into()),
        uuid::Uuid::now_v7(),
    ))
}
