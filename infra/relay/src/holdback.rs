//! Noticing that the relay is held back: committed events wait behind a transaction that is
//! still running (a writer left `idle in transaction`, a long migration) and cannot be published
//! in order until it ends. After a few seconds the relay says so, naming the blocking backend.

use std::time::{Duration, Instant};

use plinth_infra_event_store::Cursor;
use plinth_infra_postgres::GenericClient;
use tracing::{info, warn};

/// How long the relay may be held back before it says so, and how often it repeats it.
const WARN_AFTER: Duration = Duration::from_secs(5);
const CHECK_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
pub(crate) struct Watch {
    checked: Option<Instant>,
    held_since: Option<Instant>,
    warned: Option<Instant>,
}

impl Watch {
    /// Checks (at most once a second, when the last read found nothing) whether committed
    /// events wait behind a running transaction, and warns once that has lasted.
    pub(crate) async fn observe(
        &mut self,
        client: &impl GenericClient,
        cursor: Cursor,
        idle: bool,
    ) {
        if !idle || self.checked.is_some_and(|at| at.elapsed() < CHECK_EVERY) {
            return;
        }
        self.checked = Some(Instant::now());
        let Ok(waiting) = crate::status::held_back(client, cursor).await else {
            return;
        };
        if waiting == 0 {
            if let Some(since) = self.held_since.take()
                && self.warned.is_some()
            {
                info!(
                    held_for_secs = since.elapsed().as_secs(),
                    "The relay is no longer held back."
                );
            }
            self.warned = None;
            return;
        }
        let since = *self.held_since.get_or_insert_with(Instant::now);
        if since.elapsed() < WARN_AFTER
            || self
                .warned
                .is_some_and(|at| at.elapsed() < Duration::from_secs(10))
        {
            return;
        }
        self.warned = Some(Instant::now());
        if let Some(blocker) = crate::status::blocker(client).await.ok().flatten() {
            warn!(
                held_for_secs = since.elapsed().as_secs(),
                waiting,
                pid = blocker.pid,
                blocker = %blocker,
                "The relay is held back: committed events wait behind a transaction still running; end it (SELECT pg_terminate_backend(pid)) or let it finish."
            );
        } else {
            warn!(
                held_for_secs = since.elapsed().as_secs(),
                waiting, "The relay is held back by a running transaction it cannot name."
            );
        }
    }
}
