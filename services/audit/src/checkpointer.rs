//! Signs checkpoints: a tenant's trail is checkpointed once `every` records are not covered by
//! one, or `interval` after the first record not covered.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::Utc;
use ed25519_dalek::SigningKey;
use plinth_domain_audit::{Checkpoint, CheckpointError, CheckpointLog, RecordCheckpoint};
use plinth_infra_event_store::{CommandBus, CommandError};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::{AuditError, Result};

#[derive(Debug, Default, Clone, Copy)]
struct Coverage {
    head: i64,
    checkpointed: i64,
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
        let checkpointed: HashMap<String, i64> =
            sqlx::query_as(include_str!("../sql/checkpointed.sql"))
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .collect();
        let now = Instant::now();
        let mut coverage = self.coverage.lock().expect("never poisoned");
        for (tenant, head) in heads {
            let done = checkpointed.get(&tenant).copied().unwrap_or(0);
            coverage.insert(
                tenant,
                Coverage {
                    head,
                    checkpointed: done,
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
    pub async fn sign(&self, tenant: &str) -> Result<Option<Checkpoint>> {
        let head: Option<(i64, String)> = sqlx::query_as(include_str!("../sql/trail_head.sql"))
            .bind(tenant)
            .fetch_optional(&self.pool)
            .await?;
        let Some((position, hash)) = head else {
            return Ok(None);
        };
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
        entry.checkpointed = entry.checkpointed.max(position);
        entry.head = entry.head.max(position);
        entry.uncovered_since = (entry.head > entry.checkpointed).then(Instant::now);
        Ok(signed)
    }

    /// Signs checkpoints for trails whose uncovered records are older than the interval, until
    /// `shutdown`.
    pub async fn run(&self, shutdown: CancellationToken) {
        let tick = self.interval.min(Duration::from_secs(1));
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(tick) => {}
            }
            let due: Vec<String> = {
                let coverage = self.coverage.lock().expect("never poisoned");
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
