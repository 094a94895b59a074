//! The searches the gateway serves: a tenant's records and checkpoints, newest first, keyset
//! paged by position.

use chrono::{DateTime, Utc};
use plinth_domain_audit::{AuditRecord, Checkpoint, Outcome};
use plinth_infra_postgres::GenericClient;
use serde::Serialize;
use tokio_postgres::Row;

/// Filters of a record search (all optional but the tenant).
#[derive(Debug, Clone, Default)]
pub struct RecordSearch {
    pub tenant: String,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub outcome: Option<Outcome>,
    /// Records at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Records at or before this time.
    pub until: Option<DateTime<Utc>>,
    /// Records before this position (the `next` of the previous page).
    pub before: Option<i64>,
    pub limit: i64,
}

/// One page of records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordPage {
    pub records: Vec<AuditRecord>,
    /// Pass as `cursor` for the next (older) page; `None` on the last page.
    pub next: Option<i64>,
}

/// One page of checkpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckpointPage {
    pub checkpoints: Vec<Checkpoint>,
    pub next: Option<i64>,
}

fn record(r: &Row) -> AuditRecord {
    AuditRecord {
        tenant_id: r.get("tenant_id"),
        position: r.get("position"),
        at: r.get("at"),
        actor: r.get("actor"),
        action: r.get("action"),
        target_type: r.get("target_type"),
        target_id: r.get("target_id"),
        outcome: r
            .get::<_, &str>("outcome")
            .parse()
            .unwrap_or(Outcome::Success),
        source_ip: r.get("source_ip"),
        user_agent: r.get("user_agent"),
        correlation_id: r.get("correlation_id"),
        causation_id: r.get("causation_id"),
        source_event_id: r.get("source_event_id"),
        source_position: r.get("source_position"),
        details: r.get("details"),
        prev_hash: r.get("prev_hash"),
        hash: r.get("hash"),
    }
}

/// The page of `search`'s records, newest first.
pub async fn list_records(
    client: &impl GenericClient,
    search: &RecordSearch,
) -> Result<RecordPage, tokio_postgres::Error> {
    let limit = search.limit.max(1);
    let outcome = search.outcome.map(Outcome::as_str);
    let rows = client
        .query(
            include_str!("../sql/list_records.sql"),
            &[
                &search.tenant,
                &search.actor,
                &search.action,
                &search.target_type,
                &search.target_id,
                &outcome,
                &search.since,
                &search.until,
                &search.before,
                &(limit + 1),
            ],
        )
        .await?;
    let mut records: Vec<AuditRecord> = rows.iter().map(record).collect();
    let next = (records.len() as i64 > limit).then(|| {
        records.truncate(limit as usize);
        records.last().map_or(0, |r| r.position)
    });
    Ok(RecordPage { records, next })
}

/// The page of `tenant`'s checkpoints before position `before`, newest first.
pub async fn list_checkpoints(
    client: &impl GenericClient,
    tenant: &str,
    before: Option<i64>,
    limit: i64,
) -> Result<CheckpointPage, tokio_postgres::Error> {
    let limit = limit.max(1);
    let rows = client
        .query(
            include_str!("../sql/list_checkpoints.sql"),
            &[&tenant, &before, &(limit + 1)],
        )
        .await?;
    let mut checkpoints: Vec<Checkpoint> = rows
        .iter()
        .map(|r| Checkpoint {
            tenant_id: r.get("tenant_id"),
            position: r.get("position"),
            head_hash: r.get("head_hash"),
            at: r.get("at"),
            key_id: r.get("key_id"),
            signature: r.get("signature"),
        })
        .collect();
    let next = (checkpoints.len() as i64 > limit).then(|| {
        checkpoints.truncate(limit as usize);
        checkpoints.last().map_or(0, |c| c.position)
    });
    Ok(CheckpointPage { checkpoints, next })
}
