//! What `/readyz` answers from: each dependency's last check, made by a background task every
//! `gateway.readiness_refresh_ms` rather than per request, so a burst of readiness probes (a
//! load balancer's, an attacker's) costs nothing and opens no connection.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use futures::future::join_all;
use tokio_util::sync::CancellationToken;
use tracing::warn;

/// A dependency `/readyz` checks.
#[async_trait]
pub trait ReadinessProbe: Send + Sync {
    /// The name reported (`postgres`, `broker`, `schema_registry`).
    fn name(&self) -> &'static str;
    /// `Err` says why the dependency is not usable.
    async fn check(&self) -> Result<(), String>;
}

/// The last check of every dependency: its name and whether it answered.
pub(crate) type Checks = Vec<(&'static str, bool)>;

/// The dependencies' last checks, kept current in the background.
pub struct Readiness {
    last: RwLock<Arc<Checks>>,
}

impl Readiness {
    /// Checks `probes` now (so the gateway starts knowing) and then every `every` (each check
    /// bounded to 3 s), until `shutdown`.
    pub async fn start(
        probes: Vec<Arc<dyn ReadinessProbe>>,
        every: Duration,
        shutdown: CancellationToken,
    ) -> Arc<Self> {
        let readiness = Arc::new(Self {
            last: RwLock::new(Arc::new(check(&probes).await)),
        });
        let keeper = Arc::clone(&readiness);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    _ = tick.tick() => {
                        let checks = check(&probes).await;
                        *keeper.last.write().unwrap_or_else(std::sync::PoisonError::into_inner) =
                            Arc::new(checks);
                    }
                }
            }
        });
        readiness
    }

    /// The last checks.
    pub(crate) fn last(&self) -> Arc<Checks> {
        self.last
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// Checks every probe at once; logs why a dependency is not usable (the reasons — hosts,
/// ports, driver errors — go to the log, never to the client).
async fn check(probes: &[Arc<dyn ReadinessProbe>]) -> Checks {
    join_all(probes.iter().map(|probe| async move {
        let result = tokio::time::timeout(Duration::from_secs(3), probe.check())
            .await
            .unwrap_or_else(|_| Err("no answer within 3 s".into()));
        if let Err(reason) = &result {
            warn!(dependency = probe.name(), reason, "Readiness check failed.");
        }
        (probe.name(), result.is_ok())
    }))
    .await
}
