//! The projection runtime. A read model is a [`Projection`]: a name, the aggregate types whose
//! topics it reads, the module events it decodes, and a pure reducer from an [`Envelope`] of
//! those events to SQL [`Statement`]s (tested without a database). The [`Projector`] consumes those topics in a consumer group and applies
//! each batch of messages in one Postgres transaction together with each aggregate's applied
//! sequence and each partition's next offset.
//!
//! An aggregate's event `n` is applied only right after `n - 1`: redelivered or re-published
//! events (sequence already applied) are skipped, and an event that arrives before its
//! predecessor (a batch the relay retried, a message lost) or cannot be read stalls its
//! aggregate: the stall is recorded, the relay is asked to publish the aggregate again, and a
//! stall that lasts is reported loudly (`stalls.rs`, [`stalls`]). So every event takes
//! effect exactly once and in order, whatever crashes, retries or rebalances. [`wait_for`] lets a
//! read carrying a consistency token wait until the projection has applied that write
//! ([`ReadModels`]: the edge's `Freshness` port).
//! [`follow`] serves views held in memory instead: every event of some topics, from the start.
//! A projector records how far behind it is as metrics (`lag.rs`).

mod apply;
mod envelope;
mod follow;
mod lag;
mod projector;
mod replay;
mod stalls;
mod wait;

pub use envelope::{Delivery, EnvelopeError, Payload};
pub use follow::follow;
pub use projector::{Projector, read_delivery};
pub use replay::{Rebuild, StoreReader, Until, envelope};
pub use stalls::{Stall, stalls};
pub use wait::{ReadModels, applied_sequence, record_wait, wait_for};

use plinth_infra_module::{Migration, Migrations};

/// The runtime's bookkeeping tables.
pub const MIGRATIONS: Migrations = Migrations {
    component: "projection_runtime",
    steps: &[
        Migration {
            version: 1,
            name: "offsets_and_progress",
            sql: include_str!("../migrations/0001_projection_runtime.sql"),
        },
        Migration {
            version: 2,
            name: "projection_stalls",
            sql: include_str!("../migrations/0002_projection_stalls.sql"),
        },
    ],
};

/// What can go wrong running a projection.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Postgres(#[from] plinth_infra_postgres::Error),
    #[error("Postgres: {}", plinth_infra_postgres::describe(.0))]
    Query(#[from] tokio_postgres::Error),
    #[error(transparent)]
    Kafka(#[from] plinth_infra_kafka::Error),
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    #[error(transparent)]
    Read(#[from] plinth_infra_event_store::ReadError),
    #[error("Kafka: {0}")]
    Client(#[from] plinth_infra_kafka::rdkafka::error::KafkaError),
    #[error("measuring the projection's lag failed: {0}")]
    Measuring(String),
}
