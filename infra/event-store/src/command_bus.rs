use cqrs_es::event_sink::EventSink;
use cqrs_es::persist::{EventStoreAggregateContext, PersistedEventStore};
use cqrs_es::{Aggregate, AggregateError, EventStore};
use plinth_domain_core::{CommandMetadata, UniqueClaim, UniqueClaims, metadata_keys};
use postgres_es::PostgresEventRepository;
use tracing::{debug, warn};

use crate::snapshots::Snapshots;
use plinth_domain_core::ConsistencyToken;

/// SQLSTATE raised by the events table when a unique claim is held by another aggregate.
const CLAIM_TAKEN: &str = "PLU01";

/// Runs commands against event-sourced aggregates stored by `postgres-es`.
pub struct CommandBus<A: Aggregate> {
    store: PersistedEventStore<PostgresEventRepository, A>,
    snapshots: Option<Snapshots>,
    services: A::Services,
    max_attempts: u32,
}

/// What a successful command committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    pub aggregate_id: String,
    /// The aggregate's sequence after the commit (unchanged if the command produced no event).
    pub sequence: i64,
    /// How many events the command appended.
    pub events: usize,
    pub token: ConsistencyToken,
}

/// Why a command did not commit.
#[derive(Debug, thiserror::Error)]
pub enum CommandError<E: std::error::Error> {
    /// The aggregate refused the command.
    #[error(transparent)]
    Rejected(E),
    /// A value the command claims as unique (scope given) belongs to another aggregate.
    #[error("a unique value in scope {scope} is already taken")]
    UniqueClaimTaken { scope: String },
    /// Concurrent writers kept winning; the caller may retry.
    #[error("the aggregate was changed concurrently; retry the command")]
    Conflict,
    /// The database could not be reached; the caller may retry later.
    #[error("the event store is unreachable: {0}")]
    Unavailable(String),
    /// The event store failed in a way retrying will not fix.
    #[error("the event store failed: {0}")]
    Store(String),
}

impl<A> CommandBus<A>
where
    A: Aggregate,
    A::Command: Clone,
    A::Event: UniqueClaims,
{
    /// A bus over the `events` table of `pool`, retrying a conflicted command up to three times.
    pub fn new(pool: sqlx::PgPool, services: A::Services) -> Self {
        let repo = PostgresEventRepository::new(pool);
        Self {
            store: PersistedEventStore::new_event_store(repo),
            snapshots: None,
            services,
            max_attempts: 3,
        }
    }

    /// A bus that snapshots each aggregate once a commit takes it past a multiple of `every`
    /// events, so loading reads the snapshot and the events after it (for long-lived
    /// aggregates such as an audit trail). A snapshot is always the state after a whole
    /// commit, stored with that commit's last sequence (`snapshots.rs` says why cqrs-es's own
    /// snapshots are not used).
    pub fn with_snapshots(pool: sqlx::PgPool, services: A::Services, every: usize) -> Self {
        let snapshots = Snapshots::new(pool.clone(), every);
        Self {
            snapshots: Some(snapshots),
            ..Self::new(pool, services)
        }
    }

    /// Retries a command that lost an optimistic-lock race up to `attempts` times in all (for
    /// commands many callers send to one aggregate at once, such as login attempts).
    #[must_use]
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The aggregate's current state.
    pub async fn load(&self, aggregate_id: &str) -> Result<A, CommandError<A::Error>> {
        Ok(self.load_context(aggregate_id).await?.aggregate)
    }

    /// The aggregate and its sequence: from its snapshot and the events after it, if this bus
    /// keeps snapshots, else from all its events.
    async fn load_context(
        &self,
        aggregate_id: &str,
    ) -> Result<EventStoreAggregateContext<A>, CommandError<A::Error>> {
        match &self.snapshots {
            Some(snapshots) => snapshots.load(aggregate_id).await,
            None => self
                .store
                .load_aggregate(aggregate_id)
                .await
                .map_err(store_error),
        }
    }

    /// Loads `aggregate_id`, runs `command`, and commits the resulting events with `metadata`
    /// (and the events' unique claims) in one transaction.
    #[tracing::instrument(name = "command", skip(self, command, metadata), fields(aggregate_type = A::TYPE, tenant = %metadata.tenant_id))]
    pub async fn execute(
        &self,
        aggregate_id: &str,
        command: A::Command,
        metadata: &CommandMetadata,
    ) -> Result<Committed, CommandError<A::Error>> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut context = self.load_context(aggregate_id).await?;
            let loaded_sequence = context.current_sequence as i64;
            let sink = EventSink::default();
            context
                .aggregate
                .handle(command.clone(), &self.services, &sink)
                .await
                .map_err(CommandError::Rejected)?;
            let events = sink.collect().await;
            if events.is_empty() {
                return Ok(Self::committed(aggregate_id, loaded_sequence, 0));
            }
            let count = events.len();
            let mut map = metadata.to_map();
            let claims: Vec<UniqueClaim> = events
                .iter()
                .flat_map(UniqueClaims::unique_claims)
                .collect();
            let releases: Vec<UniqueClaim> = events
                .iter()
                .flat_map(UniqueClaims::released_claims)
                .collect();
            for (key, list) in [
                (metadata_keys::UNIQUE_RELEASES, &releases),
                (metadata_keys::UNIQUE_CLAIMS, &claims),
            ] {
                if !list.is_empty() {
                    let json = serde_json::to_string(list)
                        .map_err(|e| CommandError::Store(e.to_string()))?;
                    map.insert(key.to_owned(), json);
                }
            }
            // The store only needs the id and the sequence. The state stays here: writing each
            // event to the sink applied it, so it is the state after the whole commit, which
            // is what a snapshot holds.
            let state = std::mem::take(&mut context.aggregate);
            match self.store.commit(events, context, map).await {
                Ok(envelopes) => {
                    let sequence = envelopes
                        .last()
                        .map_or(loaded_sequence, |e| e.sequence as i64);
                    debug!(aggregate_id, sequence, "Command committed.");
                    if let Some(snapshots) = &self.snapshots {
                        snapshots
                            .after_commit(aggregate_id, loaded_sequence, sequence, &state)
                            .await;
                    }
                    return Ok(Self::committed(aggregate_id, sequence, count));
                }
                Err(AggregateError::AggregateConflict) if attempt < self.max_attempts => {
                    warn!(
                        aggregate_id,
                        attempt, "Concurrent write; retrying the command."
                    );
                }
                Err(AggregateError::AggregateConflict) => return Err(CommandError::Conflict),
                Err(AggregateError::UnexpectedError(error)) => {
                    return Err(claim_taken(error.as_ref()).map_or_else(
                        || CommandError::Store(error.to_string()),
                        |scope| CommandError::UniqueClaimTaken { scope },
                    ));
                }
                Err(other) => return Err(store_error(other)),
            }
        }
    }

    fn committed(aggregate_id: &str, sequence: i64, events: usize) -> Committed {
        Committed {
            aggregate_id: aggregate_id.to_owned(),
            sequence,
            events,
            token: ConsistencyToken {
                aggregate_type: A::TYPE.to_owned(),
                aggregate_id: aggregate_id.to_owned(),
                sequence,
            },
        }
    }
}

pub(crate) fn store_error<E: std::error::Error>(error: AggregateError<E>) -> CommandError<E> {
    match error {
        AggregateError::UserError(e) => CommandError::Rejected(e),
        AggregateError::AggregateConflict => CommandError::Conflict,
        AggregateError::DatabaseConnectionError(e) => CommandError::Unavailable(e.to_string()),
        other => CommandError::Store(other.to_string()),
    }
}

/// The claim scope, when `error` is the events table refusing a taken unique claim.
fn claim_taken(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let sqlx::Error::Database(db) = error.downcast_ref::<sqlx::Error>()? else {
        return None;
    };
    (db.code().as_deref() == Some(CLAIM_TAKEN))
        .then(|| db.constraint().unwrap_or("unknown").to_owned())
}
