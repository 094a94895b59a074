//! Signs checkpoints: a tenant's trail is checkpointed once `every` records are not covered by
//! one, or `interval` after the first record not covered.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::Utc;
use ed25519_dalek::SigningKey;
use plinth_domain_audit::{
    Checkpoint, CheckpointError, CheckpointEvent, CheckpointLog, GENESIS_HASH, RecordCheckpoint,
    TrailEvent, Verifier,
};
use plinth_infra_event_store::{CommandBus, CommandError};
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use crate::{AuditError, Result};

#[derive(Debug, Default, Clone)]
struct Coverage {
    head: i64,
    checkpointed: i64,
    /// The last point this signer verified and signed (position, hash): the next checkpoint
    /// is signed only if the records since then still chain from it.
    signed: Option<(i64, String)>,
    /// When the first record not covered by a checkpoint was appended.
    uncovered_since: Option<Instant>,
}

/// Signs and stores checkpoints of every tenant's trail.
pub struct Checkpointer {
    pool: sqlx::PgPool,
    bus: CommandBus<CheckpointLog>,
    key: SigningKey,
    every: i64,
    interval: Duration,
    coverage: Mutex<HashMap<String, Coverage>>,
}

impl Checkpointer {
    pub fn new(pool: sqlx::PgPool, key: SigningKey, every: u32, interval: Duration) -> Self {
        Self {
            bus: CommandBus::with_snapshots(pool.clone(), (), 100),
            pool,
            key,
            every: i64::from(every.max(1)),
            interval,
            coverage: Mutex::new(HashMap::new()),
        }
    }

    /// Learns where every trail and its last checkpoint stand (at start).
    pub async fn load(&self) -> Result<()> {
        let heads: Vec<(String, i64)> = sqlx::query_as(include_str!("../sql/trail_heads.sql"))
            .fetch_all(&self.pool)
            .await?;
        let now = Instant::now();
        for (tenant, head) in heads {
            let signed = self.latest_own_checkpoint(&tenant).await?;
            let done = signed.as_ref().map_or(0, |(position, _)| *position);
            self.coverage.lock().expect("never poisoned").insert(
                tenant,
                Coverage {
                    head,
                    checkpointed: done,
                    signed,
                    uncovered_since: (head > done).then_some(now),
                },
            );
        }
        Ok(())
    }

    /// Notes that `tenant`'s trail now ends at `head`; signs a checkpoint when `every` records
    /// are uncovered.
    pub async fn appended(&self, tenant: &str, head: i64) -> Result<()> {
        let due = {
            let mut coverage = self.coverage.lock().expect("never poisoned");
            let entry = coverage.entry(tenant.to_owned()).or_default();
            entry.head = entry.head.max(head);
            if entry.uncovered_since.is_none() && entry.head > entry.checkpointed {
                entry.uncovered_since = Some(Instant::now());
            }
            entry.head - entry.checkpointed >= self.every
        };
        if due {
            self.sign(tenant).await?;
        }
        Ok(())
    }

    /// Signs a checkpoint at the current end of `tenant`'s trail, unless one covers it already.
    /// First re-verifies the records since the last point this signer signed: a trail edited,
    /// shortened or extended by someone else in the meantime is refused, not signed.
    pub async fn sign(&self, tenant: &str) -> Result<Option<Checkpoint>> {
        let since = {
            let coverage = self.coverage.lock().expect("never poisoned");
            coverage.get(tenant).and_then(|c| c.signed.clone())
        };
        let since = match since {
            Some(point) => Some(point),
            None => self.latest_own_checkpoint(tenant).await?,
        };
        let (from, head) = since.unwrap_or((0, GENESIS_HASH.to_owned()));
        let rows: Vec<String> = sqlx::query_scalar(include_str!("../sql/trail_after.sql"))
            .bind(tenant)
            .bind(from)
            .fetch_all(&self.pool)
            .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        let mut verifier = Verifier::new(self.key.verifying_key());
        verifier.resume(tenant, from, head);
        let mut last_record = None;
        for row in &rows {
            match serde_json::from_str::<TrailEvent>(row) {
                Ok(TrailEvent::RecordAppended(record)) => {
                    verifier.record(tenant, &record);
                    last_record = Some(record);
                }
                Err(e) => verifier.unreadable(tenant, e.to_string()),
            }
        }
        if let Some(finding) = verifier.finish().findings.into_iter().next() {
            error!(%finding, "Refusing to sign an audit checkpoint: the trail changed behind the recorder.");
            return Err(AuditError::Tampered(finding.to_string()));
        }
        let record = last_record
            .ok_or_else(|| AuditError::Tampered(format!("tenant {tenant}: no readable record")))?;
        let (position, hash) = (record.position, record.hash);
        let checkpoint = Checkpoint::sign(tenant, position, &hash, Utc::now(), &self.key);
        let metadata = crate::service_metadata(tenant)?;
        let result = self
            .bus
            .execute(tenant, RecordCheckpoint(checkpoint.clone()), &metadata)
            .await;
        let signed = match result {
            Ok(_) => {
                info!(tenant, position, "Audit checkpoint signed.");
                Some(checkpoint)
            }
            // Another instance covered it already.
            Err(CommandError::Rejected(CheckpointError::NotAhead { .. })) => None,
            Err(e) => return Err(AuditError::Store(e.to_string())),
        };
        let mut coverage = self.coverage.lock().expect("never poisoned");
        let entry = coverage.entry(tenant.to_owned()).or_default();
        if signed.is_some() {
            entry.signed = Some((position, hash));
        }
        entry.checkpointed = entry.checkpointed.max(position);
        entry.head = entry.head.max(position);
        entry.uncovered_since = (entry.head > entry.checkpointed).then(Instant::now);
        Ok(signed)
    }

    /// The (position, head hash) of `tenant`'s latest stored checkpoint, if this key signed it.
    async fn latest_own_checkpoint(&self, tenant: &str) -> Result<Option<(i64, String)>> {
        let payload: Option<String> =
            sqlx::query_scalar(include_str!("../sql/latest_checkpoint.sql"))
                .bind(tenant)
                .fetch_optional(&self.pool)
                .await?;
        Ok(
            match payload.map(|p| serde_json::from_str::<CheckpointEvent>(&p)) {
                Some(Ok(CheckpointEvent::CheckpointSigned(c)))
                    if c.is_signed_by(&self.key.verifying_key()) =>
                {
                    Some((c.position, c.head_hash))
                }
                Some(_) => {
                    error!(
                        tenant,
                        "The latest audit checkpoint is not one this key signed; re-verifying the trail from its start."
                    );
                    None
                }
                None => None,
            },
        )
    }

    /// Signs checkpoints for trails whose uncovered records are older than the interval, until
    /// `shutdown`; every tick, records each trail's coverage as metrics.
    pub async fn run(&self, shutdown: CancellationToken) {
        let tick = self.interval.min(Duration::from_secs(1));
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(tick) => {}
            }
            let due: Vec<String> = {
                let coverage = self.coverage.lock().expect("never poisoned");
                record_coverage(&coverage);
                coverage
                    .iter()
                    .filter(|(_, c)| {
                        c.uncovered_since
                            .is_some_and(|t| t.elapsed() >= self.interval)
                    })
                    .map(|(tenant, _)| tenant.clone())
                    .collect()
            };
            for tenant in due {
                if let Err(e) = self.sign(&tenant).await {
                    warn!(tenant, error = %e, "Cannot sign an audit checkpoint yet; retrying.");
                }
            }
        }
    }
}

/// Each tenant's trail as gauges: `plinth_audit_seconds_since_checkpoint` (0 while a checkpoint
/// covers every record; else how long the first record after the last checkpoint has waited)
/// and `plinth_audit_records_uncovered`.
fn record_coverage(coverage: &HashMap<String, Coverage>) {
    for (tenant, trail) in coverage {
        let waited = trail
            .uncovered_since
            .map_or(0.0, |t| t.elapsed().as_secs_f64());
        metrics::gauge!("plinth_audit_seconds_since_checkpoint", "tenant" => tenant.clone())
            .set(waited);
        metrics::gauge!("plinth_audit_records_uncovered", "tenant" => tenant.clone())
            .set((trail.head - trail.checkpointed).max(0) as f64);
    }
}
