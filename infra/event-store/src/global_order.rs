use std::collections::HashMap;

use chrono::{DateTime, Utc};
use plinth_infra_postgres::GenericClient;
use uuid::Uuid;

/// A place in the global order: (writing transaction, position). Everything at or before it has
/// been read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cursor {
    pub transaction_id: u64,
    pub position: i64,
}

/// One committed event as the store keeps it.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub cursor: Cursor,
    pub event_id: Uuid,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub payload: serde_json::Value,
    pub metadata: HashMap<String, String>,
    pub recorded_at: DateTime<Utc>,
}

/// Reading the global order failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("reading events failed: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    #[error("event at position {position} is unreadable: {reason}")]
    Corrupt { position: i64, reason: String },
}

/// Up to `limit` committed events after `after`, in global order. Events of transactions still
/// running, or of transactions younger than one still running, are left for a later call, so a
/// reader that advances its cursor over what this returns never skips a late commit.
pub async fn read_committed_after(
    client: &impl GenericClient,
    after: Cursor,
    limit: i64,
) -> Result<Vec<StoredEvent>, ReadError> {
    let rows = client
        .query(
            include_str!("../sql/read_committed.sql"),
            &[&after.transaction_id.to_string(), &after.position, &limit],
        )
        .await?;
    rows.iter().map(stored_event).collect()
}

/// The committed events at `positions`, by position (for re-reading what was set aside).
pub async fn read_positions(
    client: &impl GenericClient,
    positions: &[i64],
) -> Result<Vec<StoredEvent>, ReadError> {
    let rows = client
        .query(include_str!("../sql/read_positions.sql"), &[&positions])
        .await?;
    rows.iter().map(stored_event).collect()
}

/// Up to `limit` committed events of one aggregate from sequence `from` on, in sequence order
/// (for publishing an aggregate's events again).
pub async fn read_aggregate(
    client: &impl GenericClient,
    aggregate_type: &str,
    aggregate_id: &str,
    from: i64,
    limit: i64,
) -> Result<Vec<StoredEvent>, ReadError> {
    let rows = client
        .query(
            include_str!("../sql/read_aggregate.sql"),
            &[&aggregate_type, &aggregate_id, &from, &limit],
        )
        .await?;
    rows.iter().map(stored_event).collect()
}

fn stored_event(row: &tokio_postgres::Row) -> Result<StoredEvent, ReadError> {
    let position: i64 = row.get("position");
    let corrupt = |reason: String| ReadError::Corrupt { position, reason };
    let transaction_id: String = row.get("transaction_id");
    let payload: String = row.get("payload");
    let metadata: String = row.get("metadata");
    Ok(StoredEvent {
        cursor: Cursor {
            transaction_id: transaction_id
                .parse()
                .map_err(|e| corrupt(format!("transaction id: {e}")))?,
            position,
        },
        event_id: row.get("event_id"),
        aggregate_type: row.get("aggregate_type"),
        aggregate_id: row.get("aggregate_id"),
        sequence: row.get("sequence"),
        event_type: row.get("event_type"),
        event_version: row.get("event_version"),
        payload: serde_json::from_str(&payload).map_err(|e| corrupt(format!("payload: {e}")))?,
        metadata: serde_json::from_str(&metadata).map_err(|e| corrupt(format!("metadata: {e}")))?,
        recorded_at: row.get("recorded_at"),
    })
}
