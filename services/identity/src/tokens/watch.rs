//! Keeps a process's access-token keys current with rotations other processes make
//! (`plinth keys rotate`, another gateway): it follows the `identity.signing_key` topic and
//! reloads the keys on every new rotation, retrying until the rotated key is there (the event is
//! committed before the key is inserted), and reloads every minute besides, which also drops
//! retired keys whose tokens have all expired.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use plinth_infra_config::Settings;
use plinth_infra_module::Read;
use plinth_schemas::identity::IdentityEvent;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::TokenService;

/// How often keys are reloaded without a rotation to pick up.
const RELOAD_EVERY: Duration = Duration::from_secs(60);
/// How long a rotation's key may take to appear after its event.
const KEY_WAIT: Duration = Duration::from_secs(10);

/// Spawns the watcher; it ends with `shutdown`.
pub(crate) fn watch_rotations(
    tokens: Arc<TokenService>,
    settings: Settings,
    shutdown: CancellationToken,
) {
    let started = Utc::now();
    let (rotated, mut rotations) = tokio::sync::mpsc::unbounded_channel::<String>();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        let followed =
            plinth_projections_runtime::follow(&settings, &["identity.signing_key"], stop, |d| {
                if let Read::Event(envelope) = d.read::<IdentityEvent>()
                    && let IdentityEvent::SigningKeyRotated(e) = envelope.event
                    // Rotations from before this process started are in the keys it loaded.
                    && e.at >= started - chrono::Duration::seconds(5)
                {
                    let _ = rotated.send(e.kid);
                }
            })
            .await;
        if let Err(e) = followed {
            warn!(error = %e, "Key rotations are no longer followed; keys reload every minute only.");
        }
    });
    tokio::spawn(async move {
        let mut every = tokio::time::interval(RELOAD_EVERY);
        every.tick().await;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                Some(kid) = rotations.recv() => pick_up(&tokens, &kid).await,
                _ = every.tick() => {
                    if let Err(e) = tokens.reload().await {
                        warn!(error = %e, "Cannot reload the signing keys; keeping the ones held.");
                    }
                }
            }
        }
    });
}

/// Reloads until `kid` is among the keys (bounded by [`KEY_WAIT`]).
async fn pick_up(tokens: &TokenService, kid: &str) {
    let deadline = tokio::time::Instant::now() + KEY_WAIT;
    while !tokens.knows(kid) {
        if let Err(e) = tokens.reload().await {
            warn!(error = %e, "Cannot reload the signing keys after a rotation; retrying.");
        }
        if tokens.knows(kid) || tokio::time::Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    if tokens.knows(kid) {
        info!(kid, "Picked up a signing-key rotation.");
    } else {
        warn!(
            kid,
            "A key rotation was recorded but its key never appeared."
        );
    }
}
