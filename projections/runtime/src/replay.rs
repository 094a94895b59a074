//! Rebuilding read models from the event store into fresh tables: [`StoreReader`] reads every
//! committed event in global order as an [`Envelope`] (optionally only up to a time or a
//! position), and [`Rebuild`] applies envelopes to projections whose tables live in their own
//! Postgres schema, many events per transaction.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use plinth_infra_event_store::{Cursor, StoredEvent, read_committed_after};
use plinth_infra_module::Migrations;
use plinth_infra_postgres::Pool;
use tokio_postgres::types::ToSql;

use plinth_schemas::{AvroRecord, Catalog};

use plinth_infra_module::{DynProjection, Envelope, Reduced, Statement};

use crate::Error;

/// Where a replay stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// Events stored at or before this time.
    Time(DateTime<Utc>),
    /// Events at or before this event-store position.
    Position(i64),
}

impl Until {
    fn includes(self, event: &StoredEvent) -> bool {
        match self {
            Self::Time(at) => event.recorded_at <= at,
            Self::Position(position) => event.cursor.position <= position,
        }
    }
}

/// A stored event as projections see it, or `None` for an event type with no published
/// schema in `catalog` (projections never see those from Kafka either).
pub fn envelope(catalog: &Catalog, event: &StoredEvent) -> Option<Envelope> {
    let avro = catalog
        .encode(&event.aggregate_type, &event.event_type, &event.payload)
        .ok()?;
    Some(Envelope {
        event_id: event.event_id,
        aggregate_type: event.aggregate_type.clone(),
        aggregate_id: event.aggregate_id.clone(),
        sequence: event.sequence,
        tenant_id: event
            .metadata
            .get(plinth_domain_core::metadata_keys::TENANT_ID)
            .cloned()
            .unwrap_or_default(),
        traceparent: None,
        event: AvroRecord::from(avro),
    })
}

/// Reads the event store from the start, in global order, a batch at a time.
pub struct StoreReader {
    pool: Pool,
    catalog: Arc<Catalog>,
    cursor: Cursor,
    until: Option<Until>,
    batch: i64,
    /// Events read so far (including those past `until` and those without a schema).
    pub read: u64,
}

impl StoreReader {
    pub fn new(pool: Pool, catalog: Arc<Catalog>, until: Option<Until>, batch: i64) -> Self {
        Self {
            pool,
            catalog,
            cursor: Cursor::default(),
            until,
            batch: batch.max(1),
            read: 0,
        }
    }

    /// The next batch of envelopes up to `until`; `None` once the store is read to its end.
    /// A batch may be empty when all its events were past `until` or unpublished.
    pub async fn next_batch(&mut self) -> Result<Option<Vec<Envelope>>, Error> {
        let client = self
            .pool
            .get()
            .await
            .map_err(plinth_infra_postgres::Error::from)?;
        let events = read_committed_after(&client, self.cursor, self.batch).await?;
        let Some(last) = events.last() else {
            return Ok(None);
        };
        self.cursor = last.cursor;
        self.read += events.len() as u64;
        Ok(Some(
            events
                .iter()
                .filter(|e| self.until.is_none_or(|u| u.includes(e)))
                .filter_map(|e| envelope(&self.catalog, e))
                .collect(),
        ))
    }
}

/// Projections whose tables are built afresh in one schema.
pub struct Rebuild {
    pool: Pool,
    projections: Vec<Arc<dyn DynProjection>>,
}

impl Rebuild {
    /// Creates `schema` (which must not exist) and the projections' tables in it.
    pub async fn create(
        database_url: &str,
        schema: &str,
        migrations: &[Migrations],
        projections: Vec<Arc<dyn DynProjection>>,
    ) -> Result<Self, Error> {
        let pool = plinth_infra_postgres::connect_pool_in_schema(database_url, 2, schema)?;
        let mut client = pool
            .get()
            .await
            .map_err(plinth_infra_postgres::Error::from)?;
        client
            .batch_execute(&format!("CREATE SCHEMA \"{}\"", schema.replace('"', "")))
            .await?;
        for steps in migrations {
            plinth_infra_postgres::migrate(&mut client, steps).await?;
        }
        Ok(Self { pool, projections })
    }

    /// Applies `envelopes` in order to every projection that reads their topic: all in one
    /// transaction, or (`per_event`) each in its own, as a projector applying events one by one
    /// would. Returns the statements run. The tables can be rebuilt from the store again, so
    /// commits do not wait for the disk (`synchronous_commit = off`).
    pub async fn apply(&self, envelopes: &[Envelope], per_event: bool) -> Result<u64, Error> {
        let mut client = self
            .pool
            .get()
            .await
            .map_err(plinth_infra_postgres::Error::from)?;
        let chunk = if per_event { 1 } else { envelopes.len().max(1) };
        let mut statements = 0;
        for group in envelopes.chunks(chunk) {
            let reduced: Vec<Statement> = group
                .iter()
                .flat_map(|envelope| {
                    self.projections
                        .iter()
                        .filter(|p| {
                            p.aggregate_types()
                                .contains(&envelope.aggregate_type.as_str())
                        })
                        .flat_map(|p| match p.reduce_record(envelope) {
                            Reduced::Statements(statements) => statements,
                            Reduced::Unknown(_) => Vec::new(),
                            Reduced::Unreadable(reason) => {
                                tracing::warn!(projection = p.name(), event_id = %envelope.event_id, reason, "A stored event cannot be read as its projection's events; it is left out of the rebuild.");
                                Vec::new()
                            }
                        })
                })
                .collect();
            let tx = client.transaction().await?;
            tx.batch_execute("SET LOCAL synchronous_commit = off")
                .await?;
            // Pipelined: sent in order without waiting for each answer (one round trip).
            let executions = reduced.iter().map(|statement| {
                let params: Vec<&(dyn ToSql + Sync)> = statement
                    .params
                    .iter()
                    .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                    .collect();
                let tx = &tx;
                async move { tx.execute(statement.sql, &params).await }
            });
            futures::future::try_join_all(executions).await?;
            tx.commit().await?;
            statements += reduced.len() as u64;
        }
        Ok(statements)
    }
}
