//! Stalled aggregates: recorded by `apply.rs` in the batch's transaction, healed here. Every
//! few seconds the projector deletes the stalls it has got past, asks the relay to publish the
//! others again from the event they wait for (a lost or unreadable message), says so, and
//! reports loudly any that last. [`stalls`] lists them for `plinth status`.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use plinth_infra_postgres::{GenericClient, Pool};
use tokio_util::sync::CancellationToken;
use tracing::{error, warn};

/// How often stalls are looked at.
const EVERY: Duration = Duration::from_secs(2);
/// A stall younger than this is left to the relay's own retries.
const GRACE_SECS: f64 = 2.0;
/// A stall not healed this long after asking is asked for again.
const ASK_AGAIN_SECS: f64 = 20.0;
/// Stalls older than this are reported as errors, once a minute.
const STUCK: Duration = Duration::from_secs(60);

/// One stalled aggregate of a projection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stall {
    pub projection: String,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub waiting_for: i64,
    pub seen_sequence: i64,
    pub reason: String,
    pub first_seen: DateTime<Utc>,
}

/// Every stalled aggregate of every projection, oldest first.
pub async fn stalls(client: &impl GenericClient) -> Result<Vec<Stall>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT projection, aggregate_type, aggregate_id, waiting_for, seen_sequence, reason, first_seen
             FROM projection_stalls ORDER BY first_seen",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| Stall {
            projection: r.get("projection"),
            aggregate_type: r.get("aggregate_type"),
            aggregate_id: r.get("aggregate_id"),
            waiting_for: r.get("waiting_for"),
            seen_sequence: r.get("seen_sequence"),
            reason: r.get("reason"),
            first_seen: r.get("first_seen"),
        })
        .collect())
}

/// Heals `projection`'s stalls until `shutdown`.
pub(crate) async fn heal(pool: Pool, projection: &'static str, shutdown: CancellationToken) {
    let mut reported: Option<Instant> = None;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(EVERY) => {}
        }
        if let Err(e) = round(&pool, projection, &mut reported).await {
            warn!(projection, error = %e, "Cannot look at the projection's stalls now.");
        }
    }
}

async fn round(
    pool: &Pool,
    projection: &'static str,
    reported: &mut Option<Instant>,
) -> Result<(), crate::Error> {
    let client = pool
        .get()
        .await
        .map_err(plinth_infra_postgres::Error::from)?;
    client
        .execute(include_str!("../sql/clear_stalls.sql"), &[&projection])
        .await?;
    let asked = client
        .query(
            include_str!("../sql/stalls_to_heal.sql"),
            &[&projection, &GRACE_SECS, &ASK_AGAIN_SECS],
        )
        .await?;
    for row in &asked {
        let (aggregate_type, aggregate_id, waiting_for): (String, String, i64) =
            (row.get(0), row.get(1), row.get(2));
        let reason: String = row.get(4);
        plinth_infra_relay::parking::request_republish(
            &client,
            &aggregate_type,
            &aggregate_id,
            waiting_for,
            projection,
        )
        .await?;
        warn!(
            projection,
            aggregate_type,
            aggregate_id,
            waiting_for,
            reason,
            "A projection is stuck on an aggregate; asked the relay to publish it again."
        );
    }
    if reported.is_none_or(|at| at.elapsed() >= STUCK) {
        let stuck = client
            .query(
                "SELECT aggregate_type, aggregate_id, waiting_for, reason, first_seen FROM projection_stalls
                 WHERE projection = $1 AND first_seen < now() - make_interval(secs => $2) ORDER BY first_seen",
                &[&projection, &STUCK.as_secs_f64()],
            )
            .await?;
        if let Some(oldest) = stuck.first() {
            let since: DateTime<Utc> = oldest.get(4);
            error!(
                projection,
                stuck = stuck.len(),
                aggregate_type = oldest.get::<_, String>(0),
                aggregate_id = oldest.get::<_, String>(1),
                waiting_for = oldest.get::<_, i64>(2),
                reason = oldest.get::<_, String>(3),
                since = %since,
                "A projection has been stuck for over a minute and the relay has not healed it; see `plinth status`."
            );
            *reported = Some(Instant::now());
        }
    }
    Ok(())
}
