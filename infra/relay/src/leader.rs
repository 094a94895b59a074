use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::Notify;
use tokio_postgres::AsyncMessage;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use crate::LEADER_LOCK;

/// How often the leader shows, on its lock connection, that it is alive.
const HEARTBEAT: Duration = Duration::from_secs(1);

/// How long a leader may go without a heartbeat before a standby ends its session and takes
/// the lock: a frozen process (stopped, or its host suspended) keeps its connection open, and
/// the kernel answers keepalives for it, so only the heartbeat shows that it stopped working.
const STALE_AFTER: Duration = Duration::from_secs(5);

/// Held while this relay is the leader: the connection that owns the advisory lock, listens for
/// commit notifications and beats every [`HEARTBEAT`]. Dropping it releases the lock (the
/// heartbeat stops and the session ends).
pub(crate) struct Leadership {
    _beating: tokio_util::sync::DropGuard,
    pub(crate) wake: Arc<Notify>,
    lost: Arc<AtomicBool>,
}

impl Leadership {
    /// Whether the lock connection died (another relay may lead now).
    pub(crate) fn is_lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }
}

/// Waits until this process holds the leader lock, or `shutdown` fires (`None`).
pub(crate) async fn acquire(
    database_url: &str,
    shutdown: &CancellationToken,
) -> Option<Leadership> {
    loop {
        match try_acquire(database_url).await {
            Ok(Some(leadership)) => return Some(leadership),
            Ok(None) => debug!("Another relay is the leader; standing by."),
            Err(e) => {
                warn!(error = %e, "Cannot reach Postgres to elect the relay leader; retrying.");
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return None,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

async fn try_acquire(database_url: &str) -> Result<Option<Leadership>, tokio_postgres::Error> {
    let mut config: tokio_postgres::Config = database_url.parse()?;
    // A dead leader connection must be noticed quickly: its lock is then someone else's.
    // The leader must notice first, so that it stops before a standby takes over.
    config
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(1))
        .keepalives_interval(Duration::from_secs(1))
        .keepalives_retries(1);
    let (client, mut connection) = config.connect(plinth_infra_postgres::tls()).await?;
    let wake = Arc::new(Notify::new());
    let lost = Arc::new(AtomicBool::new(false));
    let (driver_wake, driver_lost) = (wake.clone(), lost.clone());
    tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(_)) => driver_wake.notify_one(),
                Ok(_) => {}
                Err(e) => {
                    warn!(error = %e, "Relay leader connection failed.");
                    break;
                }
            }
        }
        driver_lost.store(true, Ordering::SeqCst);
        driver_wake.notify_one();
    });
    // And Postgres must notice a leader that vanished (its host gone, not just its process,
    // whose socket the kernel closes at once) within a few seconds, to free the lock.
    client
        .batch_execute(
            "SET tcp_keepalives_idle = 2; SET tcp_keepalives_interval = 1; SET tcp_keepalives_count = 2",
        )
        .await?;
    let row = client
        .query_one("SELECT pg_try_advisory_lock($1)", &[&LEADER_LOCK])
        .await?;
    if !row.get::<_, bool>(0) {
        end_a_stale_leader(&client).await?;
        return Ok(None);
    }
    client
        .batch_execute(&format!(
            "LISTEN {}",
            plinth_infra_event_store::NOTIFY_CHANNEL
        ))
        .await?;
    let beating = CancellationToken::new();
    tokio::spawn(beat(client, beating.clone()));
    Ok(Some(Leadership {
        _beating: beating.drop_guard(),
        wake,
        lost,
    }))
}

/// Runs a trivial statement on the lock connection every [`HEARTBEAT`] (which is what
/// `pg_stat_activity.query_start` shows the standbys), until `stop`; then the client is dropped
/// and the session, with its lock, ends.
async fn beat(client: tokio_postgres::Client, stop: CancellationToken) {
    let mut tick = tokio::time::interval(HEARTBEAT);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {
                if client.simple_query("SELECT 1").await.is_err() {
                    return;
                }
            }
        }
    }
}

/// If the leader's session has not run a statement for [`STALE_AFTER`], ends it, so that the
/// next attempt takes the lock.
async fn end_a_stale_leader(client: &tokio_postgres::Client) -> Result<(), tokio_postgres::Error> {
    let stale = client
        .query_opt(
            include_str!("../sql/stale_leader.sql"),
            &[&LEADER_LOCK, &STALE_AFTER.as_secs_f64()],
        )
        .await?;
    if let Some(row) = stale {
        let (pid, silent): (i32, f64) = (row.get(0), row.get(1));
        warn!(
            pid,
            silent_secs = silent,
            "The relay leader has not shown it is alive; ending its session to take over."
        );
        client
            .execute("SELECT pg_terminate_backend($1)", &[&pid])
            .await?;
    }
    Ok(())
}
