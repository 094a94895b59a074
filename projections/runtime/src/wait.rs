use std::time::Duration;

use async_trait::async_trait;
use plinth_domain_core::{ConsistencyToken, TenantId};
use plinth_infra_edge::{ApiError, Freshness};
use plinth_infra_postgres::{GenericClient, Pool};
use tokio::time::Instant;

use crate::Error;

/// The last sequence `projection` applied for an aggregate (`None`: nothing yet).
pub async fn applied_sequence(
    client: &impl GenericClient,
    projection: &str,
    aggregate_type: &str,
    aggregate_id: &str,
) -> Result<Option<i64>, Error> {
    let row = client
        .query_opt(
            include_str!("../sql/applied_sequence.sql"),
            &[&projection, &aggregate_type, &aggregate_id],
        )
        .await?;
    Ok(row.map(|r| r.get(0)))
}

/// Waits until `projection` has applied the aggregate up to `sequence`, for at most `timeout`.
/// Returns whether it got there.
pub async fn wait_for(
    pool: &Pool,
    projection: &str,
    aggregate_type: &str,
    aggregate_id: &str,
    sequence: i64,
    timeout: Duration,
) -> Result<bool, Error> {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(2);
    loop {
        {
            let client = pool
                .get()
                .await
                .map_err(plinth_infra_postgres::Error::from)?;
            if applied_sequence(&client, projection, aggregate_type, aggregate_id)
                .await?
                .is_some_and(|s| s >= sequence)
            {
                return Ok(true);
            }
        }
        if Instant::now() + pause > deadline {
            return Ok(false);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(25));
    }
}

/// How requests wait for the read models: the edge's [`Freshness`] port over their progress.
#[derive(Clone)]
pub struct ReadModels {
    pool: Pool,
    /// The longest a request waits for a view.
    wait: Duration,
}

impl ReadModels {
    /// Waits on the progress recorded at `pool`, at most `wait` per request.
    pub fn new(pool: Pool, wait: Duration) -> Self {
        Self { pool, wait }
    }
}

#[async_trait]
impl Freshness for ReadModels {
    async fn committed(&self, token: &ConsistencyToken, tenant: &TenantId) -> Result<(), ApiError> {
        let client = self.pool.get().await.map_err(unavailable)?;
        if plinth_infra_event_store::names_committed_write(&client, token, tenant.as_str())
            .await
            .map_err(unavailable)?
        {
            Ok(())
        } else {
            Err(ApiError::BadHeader(
                "Consistency-Token names no write committed in this tenant".into(),
            ))
        }
    }

    /// Records each wait in `plinth_consistency_wait_seconds` (labels `view` and `outcome`:
    /// `caught_up` or `timed_out`).
    async fn applied(&self, token: &ConsistencyToken, projection: &str) -> Result<(), ApiError> {
        let started = Instant::now();
        let caught_up = wait_for(
            &self.pool,
            projection,
            &token.aggregate_type,
            &token.aggregate_id,
            token.sequence,
            self.wait,
        )
        .await
        .map_err(unavailable)?;
        record_wait(projection, started.elapsed(), caught_up);
        if caught_up {
            Ok(())
        } else {
            Err(ApiError::NotYetConsistent)
        }
    }
}

/// Records a read's wait for `view` to reflect its consistency token.
pub fn record_wait(view: &str, waited: Duration, caught_up: bool) {
    metrics::histogram!(
        "plinth_consistency_wait_seconds",
        "view" => view.to_owned(),
        "outcome" => if caught_up { "caught_up" } else { "timed_out" }
    )
    .record(waited.as_secs_f64());
}

fn unavailable(e: impl std::fmt::Display) -> ApiError {
    ApiError::Unavailable(format!("the read models' progress: {e}"))
}
