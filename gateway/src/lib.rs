//! Plinth's HTTP gateway: a thin axum layer that parses requests at the edge, resolves the
//! tenant, issues commands to the services through their client traits, reads the projections,
//! and answers errors as `application/problem+json`.
//!
//! Start with [`router`] (every route in one place) and [`AppState`]; `problem.rs` holds the one
//! error type that becomes an HTTP response; [`Application`] binds and serves with graceful
//! shutdown.

mod app;
mod context;
mod json;
mod problem;
mod readiness;
mod routes;
mod session_check;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::MatchedPath;
use axum::routing::{get, post};
use http::Request;
use plinth_domain_identity::PasswordPolicy;
use plinth_infra_postgres::Pool;
use plinth_services_identity::{IdentityApi, TokenService};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use app::Application;
pub use problem::ApiError;
pub use readiness::{PostgresProbe, ReadinessProbe};

/// What every handler may use.
#[derive(Clone)]
pub struct AppState {
    pub identity: Arc<dyn IdentityApi>,
    /// The read models' database.
    pub read_pool: Pool,
    /// Checked by `/readyz`, each by name.
    pub probes: Arc<Vec<Arc<dyn ReadinessProbe>>>,
    /// How long a read carrying a consistency token may wait for the view.
    pub consistency_wait: Duration,
    pub request_timeout: Duration,
    /// Rules new passwords must meet.
    pub password_policy: PasswordPolicy,
    /// Verifies access tokens and publishes the signing keys.
    pub tokens: Arc<TokenService>,
    /// Sessions not refreshed for this long have ended (they are not listed).
    pub session_idle: Duration,
    /// With `example.com`, `acme.example.com` names tenant `acme`; `None`: no subdomains.
    pub base_domain: Option<String>,
}

/// Every route of the gateway.
pub fn router(state: AppState) -> Router {
    let timeout = state.request_timeout;
    Router::new()
        .route("/v1/auth/register", post(routes::auth::register))
        .route("/v1/auth/login", post(routes::auth::login))
        .route("/v1/auth/refresh", post(routes::auth::refresh))
        .route("/v1/auth/logout", post(routes::auth::logout))
        .route("/v1/auth/sessions", get(routes::sessions::list))
        .route(
            "/v1/auth/sessions/{id}",
            axum::routing::delete(routes::sessions::revoke),
        )
        .route("/v1/auth/verify-email", post(routes::auth::verify_email))
        .route(
            "/v1/auth/password-reset",
            post(routes::auth::request_password_reset),
        )
        .route(
            "/v1/auth/password-reset/complete",
            post(routes::auth::complete_password_reset),
        )
        .route("/v1/auth/password", post(routes::auth::change_password))
        .route("/v1/users", get(routes::admin::list_users))
        .route("/v1/users/{id}/disable", post(routes::admin::disable))
        .route("/v1/users/{id}/enable", post(routes::admin::enable))
        .route(
            "/v1/users/me",
            get(routes::users::me).patch(routes::users::update_me),
        )
        .route("/v1/users/{id}", get(routes::users::get_user))
        .route("/.well-known/jwks.json", get(routes::auth::jwks))
        .route("/healthz", get(routes::health::healthz))
        .route("/readyz", get(routes::health::readyz))
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .with_state(state)
        .layer(axum::middleware::from_fn(problem::log_internal_errors))
        .layer(TimeoutLayer::with_status_code(
            http::StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                // Spans are named by the matched route, never the raw path (low cardinality).
                let route = request
                    .extensions()
                    .get::<MatchedPath>()
                    .map_or("unmatched", MatchedPath::as_str);
                let span = tracing::info_span!("http", method = %request.method(), route);
                // Continue the caller's trace, so the events this request causes carry it too.
                if let Some(traceparent) = request
                    .headers()
                    .get("traceparent")
                    .and_then(|v| v.to_str().ok())
                {
                    plinth_infra_telemetry::attach_traceparent(&span, traceparent);
                }
                span
            }),
        )
}
