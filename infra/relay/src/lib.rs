//! The relay publishes every committed event from the Postgres `events` table to Kafka.
//!
//! - **In order, without gaps**: it reads the global order of `plinth-infra-event-store`
//!   (transactions older than every running one, by transaction then position), so a slow
//!   transaction's events are published when it commits, never skipped.
//! - **At least once**: a batch is produced with an idempotent, `acks=all` producer; the
//!   checkpoint moves only after every message of the batch was acknowledged. A crash re-publishes
//!   at most one batch, which consumers absorb by event id or (aggregate, sequence).
//! - **One leader**: a session advisory lock with a heartbeat; standby instances wait for it, and
//!   end the session of a leader that stopped beating (`leader.rs`).
//! - **Prompt**: a LISTEN/NOTIFY wake-up on every commit, with a polling fallback.
//! - **Never blocks commands**: if Kafka or the registry is down, events wait in Postgres and
//!   the relay retries with back-off.
//! - **Never stopped by one event**: an event that cannot be mapped to its published schema is
//!   parked with its aggregate's later events ([`parking`]); everything else goes on.
//! - **Heals consumers**: it publishes an aggregate's events again when a consumer asks
//!   ([`parking::request_republish`]), and says who holds it back when a running transaction
//!   does (`holdback.rs`).
//!
//! - **Measured**: every relay records its backlog as metrics (`plinth_relay_lag_*`, in
//!   [`status`]), and each batch's publish time.
//!
//! Start with [`Relay::run`]; the batch loop is in `publish.rs`, the requests it serves
//! between batches in `serve.rs`.

mod holdback;
mod leader;
pub mod parking;
mod publish;
mod serve;
pub mod status;

use std::sync::Arc;
use std::time::Duration;

use plinth_infra_config::Settings;
use plinth_infra_kafka::AvroCodec;
use plinth_infra_module::{Migration, Migrations};
use plinth_infra_postgres::Pool;
use plinth_schemas::Catalog;
use tokio_util::sync::CancellationToken;
use tracing::{error, info};

pub use publish::PublishError;

/// The relay's checkpoint table.
pub const MIGRATIONS: Migrations = Migrations {
    component: "relay",
    steps: &[
        Migration {
            version: 1,
            name: "relay_checkpoints",
            sql: include_str!("../migrations/0001_relay.sql"),
        },
        Migration {
            version: 2,
            name: "parking_and_republish",
            sql: include_str!("../migrations/0002_parking_and_republish.sql"),
        },
    ],
};

/// The advisory lock key the active relay holds (`"plinth" + 2`).
pub const LEADER_LOCK: i64 = 0x706c_696e_7468_0002;

/// How often the relay measures its backlog for the metrics.
const LAG_EVERY: Duration = Duration::from_secs(5);

/// What can stop the relay.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Postgres(#[from] plinth_infra_postgres::Error),
    #[error("Postgres: {}", plinth_infra_postgres::describe(.0))]
    Query(#[from] tokio_postgres::Error),
    #[error(transparent)]
    Kafka(#[from] plinth_infra_kafka::Error),
    #[error(transparent)]
    Read(#[from] plinth_infra_event_store::ReadError),
    #[error("the relay checkpoint holds an unreadable transaction id {0:?}")]
    Checkpoint(String),
    #[error(transparent)]
    Publish(#[from] PublishError),
}

/// Publishes the event store to Kafka: each event under its schema in `catalog` (the registered
/// modules' sets); an event the catalog does not know is parked.
pub struct Relay {
    database_url: String,
    pool: Pool,
    codec: Arc<AvroCodec>,
    catalog: Arc<Catalog>,
    settings: Settings,
    name: String,
}

impl Relay {
    /// A relay over `pool`'s events table. `database_url` is used for the dedicated connection
    /// that holds the leader lock and listens for commits.
    pub fn new(
        database_url: &str,
        pool: Pool,
        settings: Settings,
        catalog: Arc<Catalog>,
    ) -> Result<Self, Error> {
        let codec = AvroCodec::new(&settings.schema_registry)?;
        Ok(Self {
            database_url: database_url.to_owned(),
            pool,
            codec: Arc::new(codec),
            catalog,
            settings,
            name: "kafka".into(),
        })
    }

    /// Runs until `shutdown` is cancelled: waits to become leader, then publishes. Losing the
    /// leader connection sends it back to waiting.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), Error> {
        // One topic per aggregate type, however many event types it carries.
        let topics: Vec<String> = self
            .catalog
            .aggregate_types()
            .into_iter()
            .map(|t| plinth_schemas::topic_name(&self.settings.kafka.topic_prefix, t))
            .collect();
        // tansu does not create topics on first use: they must exist before anything is produced.
        if !plinth_infra_kafka::ensure_topics_until(&self.settings.kafka, &topics, &shutdown).await
        {
            return Ok(());
        }
        // Every relay measures the backlog, the leader and the standbys alike.
        let measuring = shutdown.child_token();
        tokio::spawn(status::record_lag(
            self.pool.clone(),
            LAG_EVERY,
            measuring.clone(),
        ));
        let _stop_measuring = measuring.drop_guard();
        let leading = metrics::gauge!("plinth_relay_leader");
        while !shutdown.is_cancelled() {
            leading.set(0.0);
            let Some(leadership) = leader::acquire(&self.database_url, &shutdown).await else {
                break;
            };
            leading.set(1.0);
            info!(relay = %self.name, "Relay is the leader; publishing.");
            let result = publish::Publisher {
                pool: &self.pool,
                producer: plinth_infra_kafka::producer(&self.settings.kafka)?,
                codec: &self.codec,
                catalog: &self.catalog,
                settings: &self.settings,
                name: &self.name,
                held: std::collections::HashSet::new(),
            }
            .run(&leadership, &shutdown)
            .await;
            if let Err(e) = result {
                error!(error = %e, "Relay stopped publishing; retrying.");
                tokio::select! {
                    () = shutdown.cancelled() => {}
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
        leading.set(0.0);
        info!("Relay stopped.");
        Ok(())
    }
}
