//! Reads trails and checkpoints back from the event store (the `events` table), streaming, for
//! `plinth audit verify --source db` and `plinth audit export`.

use chrono::{DateTime, Utc};
use ed25519_dalek::VerifyingKey;
use futures::{StreamExt, pin_mut};
use plinth_domain_audit::{AuditRecord, CheckpointEvent, Report, TrailEvent, Verifier};
use plinth_infra_postgres::Pool;
use tokio_postgres::types::ToSql;

use crate::Result;

/// Which records to read.
#[derive(Debug, Clone, Default)]
pub struct RecordFilter {
    pub tenant: Option<String>,
    /// Records whose `at` is at or after this.
    pub since: Option<DateTime<Utc>>,
    /// Records whose `at` is at or before this.
    pub until: Option<DateTime<Utc>>,
}

/// How many records the trails (or one tenant's) hold, for progress bars.
pub async fn count_records(pool: &Pool, tenant: Option<&str>) -> Result<u64> {
    let client = pool
        .get()
        .await
        .map_err(plinth_infra_postgres::Error::from)?;
    let row = client
        .query_one(include_str!("../sql/count_records.sql"), &[&tenant])
        .await?;
    Ok(row.get::<_, i64>(0) as u64)
}

/// Every stored checkpoint, as its trail id and either the checkpoint or why it is unreadable.
pub async fn checkpoints(pool: &Pool) -> Result<Vec<crate::CheckpointCopy>> {
    let client = pool
        .get()
        .await
        .map_err(plinth_infra_postgres::Error::from)?;
    let rows = client
        .query(include_str!("../sql/checkpoints.sql"), &[])
        .await?;
    Ok(rows
        .iter()
        .map(|row| {
            let tenant: String = row.get(0);
            let payload: serde_json::Value = row.get(2);
            let checkpoint = serde_json::from_value::<CheckpointEvent>(payload)
                .map(|CheckpointEvent::CheckpointSigned(c)| c)
                .map_err(|e| e.to_string());
            (tenant, checkpoint)
        })
        .collect())
}

/// Calls `each` with every record matching `filter`, trail by trail in position order, without
/// holding more than one row at a time. A stored record that does not parse is passed as the
/// reason. Returns how many rows were read.
pub async fn scan_records<F>(pool: &Pool, filter: &RecordFilter, mut each: F) -> Result<u64>
where
    F: FnMut(&str, std::result::Result<AuditRecord, String>) -> Result<()>,
{
    let client = pool
        .get()
        .await
        .map_err(plinth_infra_postgres::Error::from)?;
    let params: [&(dyn ToSql + Sync); 3] = [&filter.tenant, &filter.since, &filter.until];
    let rows = client
        .query_raw(include_str!("../sql/records.sql"), params)
        .await?;
    pin_mut!(rows);
    let mut read = 0;
    while let Some(row) = rows.next().await {
        let row = row?;
        let trail: String = row.get(0);
        let payload: serde_json::Value = row.get(2);
        let record = serde_json::from_value::<TrailEvent>(payload)
            .map(|TrailEvent::RecordAppended(r)| r)
            .map_err(|e| e.to_string());
        each(&trail, record)?;
        read += 1;
    }
    Ok(read)
}

/// Verifies every trail in the event store against `key` and its checkpoints: those stored,
/// plus `more` (read from another copy, such as the checkpoint topic, so deleting checkpoints
/// from the database hides nothing). `progress` is told how many records have been read.
pub async fn verify(
    pool: &Pool,
    key: VerifyingKey,
    stored_checkpoints: bool,
    more: Vec<crate::CheckpointCopy>,
    progress: &dyn Fn(u64),
) -> Result<Report> {
    let mut verifier = Verifier::new(key);
    let stored = if stored_checkpoints {
        checkpoints(pool).await?
    } else {
        Vec::new()
    };
    verifier.checkpoints(stored.into_iter().chain(more));
    let mut read = 0;
    scan_records(pool, &RecordFilter::default(), |trail, record| {
        match record {
            Ok(record) => verifier.record(trail, &record),
            Err(reason) => verifier.unreadable(trail, reason),
        }
        read += 1;
        if read % 1000 == 0 {
            progress(read);
        }
        Ok(())
    })
    .await?;
    progress(read);
    Ok(verifier.finish())
}
