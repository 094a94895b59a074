use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::info;

use plinth_infra_module::Route;

use crate::{AppState, router};

/// The gateway bound to its socket, ready to serve.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
}

/// Why the gateway did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot bind: {0}")]
    Bind(#[from] std::io::Error),
    #[error(transparent)]
    Routes(#[from] crate::RouteError),
}

impl Application {
    /// Builds the routes — the gateway's own, and `modules`' handlers — refusing any the
    /// manifests do not declare, and binds `listen` (port 0 picks a free port, as tests do).
    pub async fn build(
        listen: SocketAddr,
        state: AppState,
        modules: Vec<Route>,
    ) -> Result<Self, StartError> {
        let router = router(state, modules)?;
        let listener = TcpListener::bind(listen).await?;
        Ok(Self { listener, router })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map_or(0, |a| a.port())
    }

    /// Serves until `shutdown` is cancelled, then finishes in-flight requests.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> std::io::Result<()> {
        info!(address = %self.listener.local_addr()?, "Gateway listening.");
        // The peer's address reaches the guards, which report it with access decisions.
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await
    }
}
