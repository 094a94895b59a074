//! Feeds an [`AuthzView`] from Kafka. Every process holds the whole view, so the feeder follows
//! every partition of the authz topics from the beginning
//! ([`plinth_projections_runtime::follow`]). An aggregate the view is stuck on (an event lost on
//! its way, or unreadable) is asked for again from the relay, as the projectors do.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use plinth_infra_config::Settings;
use plinth_infra_postgres::Pool;
use tokio_util::sync::CancellationToken;
use tracing::warn;

use crate::AuthzView;

/// The aggregate types whose topics feed the view.
pub const AGGREGATE_TYPES: [&str; 2] = ["authz.role", "authz.binding"];

/// A stall younger than this is left to the relay's own retries; one not healed this long
/// after asking is asked for again.
const GRACE: Duration = Duration::from_secs(2);
const ASK_AGAIN: Duration = Duration::from_secs(20);

/// Applies the authz topics to `view` until `shutdown`, asking the relay (through the event
/// store at `pool`) for what the view is stuck on. Waits (retrying) for the broker and the
/// registry rather than failing: until then, the view denies what it does not know.
pub async fn feed(
    view: Arc<AuthzView>,
    settings: Settings,
    pool: Pool,
    shutdown: CancellationToken,
) -> Result<(), plinth_projections_runtime::Error> {
    let healing = tokio::spawn(heal(Arc::clone(&view), pool, shutdown.clone()));
    let followed =
        plinth_projections_runtime::follow(&settings, &AGGREGATE_TYPES, shutdown, |delivery| {
            view.apply(&delivery);
        })
        .await;
    healing.abort();
    followed
}

async fn heal(view: Arc<AuthzView>, pool: Pool, shutdown: CancellationToken) {
    let mut asked: HashMap<(String, String, i64), Instant> = HashMap::new();
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(GRACE) => {}
        }
        let stalled = view.stalled(GRACE);
        asked.retain(|key, _| stalled.contains(key));
        for key in stalled {
            if asked.get(&key).is_some_and(|at| at.elapsed() < ASK_AGAIN) {
                continue;
            }
            let (aggregate_type, aggregate_id, waiting_for) = &key;
            let requested = match pool.get().await {
                Ok(client) => plinth_infra_relay::parking::request_republish(
                    &client,
                    aggregate_type,
                    aggregate_id,
                    *waiting_for,
                    "authz-view",
                )
                .await
                .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            match requested {
                Ok(()) => warn!(
                    aggregate_type,
                    aggregate_id,
                    waiting_for,
                    "The authz view is stuck on an aggregate; asked the relay to publish it again."
                ),
                Err(e) => warn!(error = %e, "Cannot ask the relay for what the authz view misses."),
            }
            asked.insert(key, Instant::now());
        }
    }
}
