//! Where the relay stands, for `plinth status` and its own warnings: how many committed events
//! wait to be published, since when, and which running transaction holds them back.

use plinth_infra_event_store::Cursor;
use plinth_infra_postgres::GenericClient;

/// The backend whose running transaction holds the global order back.
#[derive(Debug, Clone, PartialEq)]
pub struct Blocker {
    pub pid: i32,
    pub user: String,
    pub application: String,
    pub client: String,
    pub state: String,
    pub transaction_age_secs: f64,
    pub query: String,
}

impl std::fmt::Display for Blocker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "backend {} (user {}, application {:?}, client {}, {}, transaction open {:.0} s): {}",
            self.pid,
            self.user,
            self.application,
            self.client,
            self.state,
            self.transaction_age_secs,
            self.query
        )
    }
}

/// Committed events the relay has not published yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Backlog {
    /// How far the relay has published (`None`: nothing yet).
    pub published: Option<Cursor>,
    pub waiting: i64,
    /// How long the oldest of them has waited.
    pub oldest_secs: Option<f64>,
    /// Of those, how many wait behind a running transaction, and whose.
    pub held_back: i64,
    pub blocker: Option<Blocker>,
}

/// Every `every`, until `shutdown`: the backlog as gauges, `plinth_relay_lag_events` (committed,
/// not yet acknowledged by the broker), `plinth_relay_lag_seconds` (how long the oldest of them
/// has waited) and `plinth_relay_held_back_events`.
pub(crate) async fn record_lag(
    pool: plinth_infra_postgres::Pool,
    every: std::time::Duration,
    shutdown: tokio_util::sync::CancellationToken,
) {
    loop {
        match pool.get().await {
            Ok(client) => match backlog(&client).await {
                Ok(now) => {
                    metrics::gauge!("plinth_relay_lag_events").set(now.waiting as f64);
                    metrics::gauge!("plinth_relay_lag_seconds").set(now.oldest_secs.unwrap_or(0.0));
                    metrics::gauge!("plinth_relay_held_back_events").set(now.held_back as f64);
                }
                Err(e) => tracing::debug!(error = %e, "Cannot measure the relay's backlog now."),
            },
            Err(e) => tracing::debug!(error = %e, "Cannot measure the relay's backlog now."),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}

/// The relay's backlog now.
pub async fn backlog(client: &impl GenericClient) -> Result<Backlog, tokio_postgres::Error> {
    let published = crate::parking::published_up_to(client).await?;
    let cursor = published.unwrap_or_default();
    let row = client
        .query_one(
            "SELECT count(*), extract(epoch FROM now() - min(recorded_at))::float8 FROM events
             WHERE (transaction_id, position) > ($1::text::xid8, $2)",
            &[&cursor.transaction_id.to_string(), &cursor.position],
        )
        .await?;
    let held_back: i64 = held_back(client, cursor).await?;
    Ok(Backlog {
        published,
        waiting: row.get(0),
        oldest_secs: row.get(1),
        held_back,
        blocker: if held_back > 0 {
            blocker(client).await?
        } else {
            None
        },
    })
}

/// Committed events after `cursor` that wait behind a running transaction.
pub(crate) async fn held_back(
    client: &impl GenericClient,
    cursor: Cursor,
) -> Result<i64, tokio_postgres::Error> {
    Ok(client
        .query_one(
            include_str!("../sql/held_back.sql"),
            &[&cursor.transaction_id.to_string(), &cursor.position],
        )
        .await?
        .get(0))
}

/// The oldest running transaction holding a transaction id: the one the global order waits
/// for.
pub(crate) async fn blocker(
    client: &impl GenericClient,
) -> Result<Option<Blocker>, tokio_postgres::Error> {
    let row = client
        .query_opt(include_str!("../sql/oldest_writer.sql"), &[])
        .await?;
    Ok(row.map(|b| Blocker {
        pid: b.get("pid"),
        user: b.get::<_, Option<String>>("usename").unwrap_or_default(),
        application: b
            .get::<_, Option<String>>("application_name")
            .unwrap_or_default(),
        client: b.get::<_, Option<String>>("client").unwrap_or_default(),
        state: b.get::<_, Option<String>>("state").unwrap_or_default(),
        transaction_age_secs: b.get("age_secs"),
        query: b.get::<_, Option<String>>("query").unwrap_or_default(),
    }))
}
