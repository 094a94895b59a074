//! Completeness, checked against the event store: the recorder trusts Kafka to deliver every
//! event, and the sweeper checks it. It walks the global order behind the relay (only events the
//! relay has published, at least 30 s ago), finds events without an audit record, asks the relay
//! to publish their aggregates again (the recorder then records them, once), and reports loudly
//! the ones that stay missing. It remembers how far everything was recorded, so each round
//! reads only new events.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use chrono::Utc;
use plinth_infra_event_store::{Cursor, StoredEvent, read_committed_after};
use plinth_infra_postgres::Pool;
use tokio_util::sync::CancellationToken;
use tracing::{error, warn};

use crate::Result;

/// Events read per round, and how long a round rests when it caught up.
const CHUNK: i64 = 5000;
const REST: Duration = Duration::from_secs(5);
/// An event younger than this may still be on its way through Kafka.
const SETTLE: chrono::TimeDelta = chrono::TimeDelta::seconds(30);
/// A missing event asked for again after this long, and reported as an error.
const ASK_AGAIN: Duration = Duration::from_secs(30);
/// Missing events followed at once; the sweep waits while there are more.
const MAX_MISSING: usize = 10_000;

/// Sweeps until `shutdown`.
pub(crate) async fn sweep(pool: sqlx::PgPool, read: Pool, shutdown: CancellationToken) {
    let mut sweeper = Sweeper {
        pool,
        read,
        swept: Cursor::default(),
        missing: BTreeMap::new(),
    };
    loop {
        let caught_up = match sweeper.round().await {
            Ok(caught_up) => caught_up,
            Err(e) => {
                warn!(error = %e, "Cannot check the audit trail's completeness now; retrying.");
                true
            }
        };
        if caught_up {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(REST) => {}
            }
        } else if shutdown.is_cancelled() {
            return;
        }
    }
}

struct Sweeper {
    pool: sqlx::PgPool,
    read: Pool,
    /// Every event up to here is recorded (or in `missing`).
    swept: Cursor,
    /// Events found without a record: id → (aggregate, sequence, when found, last asked).
    missing: BTreeMap<String, (String, String, i64, Instant, Option<Instant>)>,
}

impl Sweeper {
    /// One round; true once it has reached what it may look at.
    async fn round(&mut self) -> Result<bool> {
        let client = self
            .read
            .get()
            .await
            .map_err(plinth_infra_postgres::Error::from)?;
        let Some(published) = plinth_infra_relay::parking::published_up_to(&client).await? else {
            return Ok(true);
        };
        let events = if self.missing.len() < MAX_MISSING {
            read_committed_after(&client, self.swept, CHUNK).await?
        } else {
            Vec::new()
        };
        let settled = Utc::now() - SETTLE;
        let candidates: Vec<&StoredEvent> = events
            .iter()
            .take_while(|e| e.cursor <= published && e.recorded_at < settled)
            .collect();
        let caught_up = candidates.len() < events.len() || events.len() < CHUNK as usize;
        let ids: Vec<String> = candidates
            .iter()
            .filter(|e| !e.aggregate_type.starts_with("audit."))
            .map(|e| e.event_id.to_string())
            .chain(self.missing.keys().cloned())
            .collect();
        let recorded: HashSet<String> =
            sqlx::query_scalar(include_str!("../sql/recorded_sources.sql"))
                .bind(&ids)
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .collect();
        self.missing.retain(|id, _| !recorded.contains(id));
        let now = Instant::now();
        for event in candidates {
            let id = event.event_id.to_string();
            if !event.aggregate_type.starts_with("audit.") && !recorded.contains(&id) {
                self.missing.entry(id).or_insert((
                    event.aggregate_type.clone(),
                    event.aggregate_id.clone(),
                    event.sequence,
                    now,
                    None,
                ));
            }
            self.swept = event.cursor;
        }
        for (id, (aggregate_type, aggregate_id, sequence, first, asked)) in &mut self.missing {
            if asked.is_some_and(|at| at.elapsed() < ASK_AGAIN) {
                continue;
            }
            plinth_infra_relay::parking::request_republish(
                &client,
                aggregate_type,
                aggregate_id,
                *sequence,
                "audit",
            )
            .await?;
            if first.elapsed() >= ASK_AGAIN {
                error!(
                    event_id = id,
                    aggregate_type,
                    aggregate_id,
                    sequence,
                    missing_for_secs = first.elapsed().as_secs(),
                    "An event is still not in the audit trail; asked the relay again. See `plinth status`."
                );
            } else {
                warn!(
                    event_id = id,
                    aggregate_type,
                    aggregate_id,
                    sequence,
                    "An event reached no audit record; asked the relay to publish it again."
                );
            }
            *asked = Some(Instant::now());
        }
        Ok(caught_up)
    }
}
