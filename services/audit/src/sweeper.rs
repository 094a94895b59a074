//! Completeness, checked against the event store: the recorder trusts Kafka to deliver every
//! event, and the sweeper checks it. It walks the global order behind the relay (only events the
//! relay has published, at least 30 s ago), finds events without an audit record, asks the relay
//! to publish their aggregates again (the recorder then records them, once), and reports loudly
//! the ones that stay missing. Parked events (not published) are left to the relay's parking.
//! It stores how far it has checked (`audit_sweep`), so each round, and each start, reads only
//! new events.

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
        swept: None,
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
    /// Every event up to here is recorded (or in `missing`); read from `audit_sweep` first.
    swept: Option<Cursor>,
    /// Events found without a record, by id.
    missing: BTreeMap<String, Missing>,
}

/// An event found without a record.
struct Missing {
    aggregate_type: String,
    aggregate_id: String,
    sequence: i64,
    /// Its place in the global order.
    cursor: Cursor,
    found: Instant,
    asked: Option<Instant>,
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
        let swept = if let Some(swept) = self.swept {
            swept
        } else {
            let stored = client
                .query_opt(
                    "SELECT transaction_id::text, position FROM audit_sweep",
                    &[],
                )
                .await?;
            stored
                .and_then(|r| {
                    Some(Cursor {
                        transaction_id: r.get::<_, String>(0).parse().ok()?,
                        position: r.get(1),
                    })
                })
                .unwrap_or_default()
        };
        let events = if self.missing.len() < MAX_MISSING {
            read_committed_after(&client, swept, CHUNK).await?
        } else {
            Vec::new()
        };
        let parked: HashSet<i64> = plinth_infra_relay::parking::parked(&client)
            .await?
            .into_iter()
            .map(|p| p.position)
            .collect();
        let settled = Utc::now() - SETTLE;
        let candidates: Vec<&StoredEvent> = events
            .iter()
            .take_while(|e| e.cursor <= published && e.recorded_at < settled)
            .collect();
        let caught_up = candidates.len() < events.len() || events.len() < CHUNK as usize;
        let audited = |e: &StoredEvent| {
            !e.aggregate_type.starts_with("audit.") && !parked.contains(&e.cursor.position)
        };
        let ids: Vec<String> = candidates
            .iter()
            .filter(|e| audited(e))
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
        let mut reached = swept;
        for event in candidates {
            let id = event.event_id.to_string();
            if audited(event) && !recorded.contains(&id) {
                self.missing.entry(id).or_insert(Missing {
                    aggregate_type: event.aggregate_type.clone(),
                    aggregate_id: event.aggregate_id.clone(),
                    sequence: event.sequence,
                    cursor: event.cursor,
                    found: now,
                    asked: None,
                });
            }
            reached = event.cursor;
        }
        // What is stored never passes an event still missing, so a restart checks it again.
        let keep = self
            .missing
            .values()
            .map(|m| Cursor {
                position: m.cursor.position - 1,
                ..m.cursor
            })
            .min()
            .map_or(reached, |before| before.min(reached));
        if Some(reached) != self.swept {
            client
                .execute(
                    "INSERT INTO audit_sweep (transaction_id, position) VALUES ($1::text::xid8, $2)
                     ON CONFLICT (id) DO UPDATE SET transaction_id = excluded.transaction_id, position = excluded.position",
                    &[&keep.transaction_id.to_string(), &keep.position],
                )
                .await?;
            self.swept = Some(reached);
        }
        for (id, missing) in &mut self.missing {
            if missing.asked.is_some_and(|at| at.elapsed() < ASK_AGAIN) {
                continue;
            }
            plinth_infra_relay::parking::request_republish(
                &client,
                &missing.aggregate_type,
                &missing.aggregate_id,
                missing.sequence,
                "audit",
            )
            .await?;
            let (aggregate_type, aggregate_id, sequence) = (
                &missing.aggregate_type,
                &missing.aggregate_id,
                missing.sequence,
            );
            if missing.found.elapsed() >= ASK_AGAIN {
                error!(
                    event_id = id,
                    aggregate_type,
                    aggregate_id,
                    sequence,
                    missing_for_secs = missing.found.elapsed().as_secs(),
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
            missing.asked = Some(Instant::now());
        }
        Ok(caught_up)
    }
}
