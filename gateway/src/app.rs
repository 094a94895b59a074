//! [`Application`]: the gateway bound to its socket, serving with its own accept loop, so that
//! slow or idle clients cannot starve it: at most `max_connections` connections are held (one
//! more is closed at once), and a client that has not sent a request's headers within
//! `header_read_timeout` is disconnected. Shutdown stops accepting and lets requests in flight
//! finish (for at most 10 s).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;
use tracing::{debug, info, warn};

use plinth_infra_module::Route;

use crate::{AppState, router};

/// How the gateway holds its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Serving {
    /// The most connections held at once; one more is closed as soon as it is accepted.
    pub max_connections: usize,
    /// A client that has not sent a request's headers within this long is disconnected.
    pub header_read_timeout: Duration,
}

/// The gateway bound to its socket, ready to serve.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    serving: Serving,
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
        serving: Serving,
    ) -> Result<Self, StartError> {
        let router = router(state, modules)?;
        let listener = TcpListener::bind(listen).await?;
        Ok(Self {
            listener,
            router,
            serving,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map_or(0, |a| a.port())
    }

    /// Serves until `shutdown` is cancelled, then finishes in-flight requests.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> std::io::Result<()> {
        info!(address = %self.listener.local_addr()?, max_connections = self.serving.max_connections, "Gateway listening.");
        let held = Arc::new(Semaphore::new(self.serving.max_connections));
        let graceful = GracefulShutdown::new();
        let mut connections = auto::Builder::new(TokioExecutor::new());
        connections
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(self.serving.header_read_timeout);
        loop {
            let (stream, peer) = tokio::select! {
                () = shutdown.cancelled() => break,
                accepted = self.listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors, say: wait rather than spin.
                        warn!(error = %e, "Cannot accept a connection.");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let Ok(place) = Arc::clone(&held).try_acquire_owned() else {
                debug!(%peer, "Connection closed: the gateway holds as many as it may.");
                drop(stream);
                continue;
            };
            let _ = stream.set_nodelay(true);
            let router = self.router.clone();
            // The peer's address reaches the guards (rate limits, access decisions).
            let service =
                hyper::service::service_fn(move |mut request: http::Request<Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(peer));
                    router.clone().oneshot(request)
                });
            let connection = connections
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .into_owned();
            let connection = graceful.watch(connection);
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    debug!(%peer, error = %e, "Connection ended with an error.");
                }
                drop(place);
            });
        }
        drop(self.listener);
        if tokio::time::timeout(Duration::from_secs(10), graceful.shutdown())
            .await
            .is_err()
        {
            warn!("Requests still in flight after 10 s of shutting down; leaving them.");
        }
        Ok(())
    }
}
