//! Aggregate snapshots taken only at commit boundaries.
//!
//! cqrs-es's own snapshot store is not used: when one commit carries the aggregate past a
//! snapshot boundary, cqrs-es builds the snapshot from the events *up to the boundary*, while
//! postgres-es stores it with the commit's *last* sequence. The next load then resumes from an
//! older state at a later sequence, and the aggregate forks: an audit trail appended "record
//! 201" a second time, linked to record 200. Here a snapshot is the state after a whole commit,
//! stored with that commit's last sequence, in `aggregate_snapshots` (one row per aggregate,
//! never moved backwards). Writing it is best effort: a snapshot that could not be written
//! only makes the next load read more events.

use cqrs_es::persist::{EventStoreAggregateContext, PersistedEventRepository};
use cqrs_es::{Aggregate, EventEnvelope};
use postgres_es::PostgresEventRepository;
use tracing::warn;

use crate::CommandError;
use crate::command_bus::store_error;

pub(crate) struct Snapshots {
    pool: sqlx::PgPool,
    repo: PostgresEventRepository,
    every: i64,
}

impl Snapshots {
    pub(crate) fn new(pool: sqlx::PgPool, every: usize) -> Self {
        Self {
            repo: PostgresEventRepository::new(pool.clone()),
            pool,
            every: i64::try_from(every.max(1)).unwrap_or(i64::MAX),
        }
    }

    /// The aggregate from its snapshot (if any, and readable) and the events after it.
    pub(crate) async fn load<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<EventStoreAggregateContext<A>, CommandError<A::Error>> {
        let row: Option<(i64, serde_json::Value)> =
            sqlx::query_as(include_str!("../sql/load_snapshot.sql"))
                .bind(A::TYPE)
                .bind(aggregate_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| CommandError::Unavailable(e.to_string()))?;
        let (mut aggregate, mut sequence) = match row {
            Some((sequence, payload)) => match serde_json::from_value::<A>(payload) {
                Ok(aggregate) => (aggregate, sequence),
                Err(e) => {
                    // The aggregate's shape changed since: replay everything instead.
                    warn!(aggregate_type = A::TYPE, aggregate_id, error = %e, "Unreadable snapshot; loading every event.");
                    (A::default(), 0)
                }
            },
            None => (A::default(), 0),
        };
        let after = usize::try_from(sequence).unwrap_or(0);
        let events = self
            .repo
            .get_last_events::<A>(aggregate_id, after)
            .await
            .map_err(|e| store_error(e.into()))?;
        for event in events {
            let envelope =
                EventEnvelope::<A>::try_from(event).map_err(|e| store_error(e.into()))?;
            sequence = envelope.sequence as i64;
            aggregate.apply(envelope.payload);
        }
        Ok(EventStoreAggregateContext {
            aggregate_id: aggregate_id.to_owned(),
            aggregate,
            current_sequence: usize::try_from(sequence).unwrap_or(0),
            current_snapshot: None,
        })
    }

    /// Stores `state` (the aggregate after the commit that took it from `from` to `to`) if the
    /// commit crossed a multiple of the snapshot interval.
    pub(crate) async fn after_commit<A: Aggregate>(
        &self,
        aggregate_id: &str,
        from: i64,
        to: i64,
        state: &A,
    ) {
        if to / self.every <= from / self.every {
            return;
        }
        let payload = match serde_json::to_value(state) {
            Ok(payload) => payload,
            Err(e) => {
                warn!(aggregate_type = A::TYPE, aggregate_id, error = %e, "Cannot serialize a snapshot.");
                return;
            }
        };
        if let Err(e) = sqlx::query(include_str!("../sql/save_snapshot.sql"))
            .bind(A::TYPE)
            .bind(aggregate_id)
            .bind(to)
            .bind(payload)
            .execute(&self.pool)
            .await
        {
            warn!(aggregate_type = A::TYPE, aggregate_id, error = %e, "Cannot store a snapshot; the next load reads more events.");
        }
    }
}
