use std::time::Duration;

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
