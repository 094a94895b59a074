//! Plinth's HTTP gateway: a thin axum layer that parses requests at the edge, resolves the
//! tenant, issues commands to the services through their client traits, reads the projections,
//! and answers errors as `application/problem+json`.
//!
//! Start with [`router`] (every kernel route in one place, then the modules') and
//! [`AppState`]; `guard.rs` authenticates each request once and decides its permission (on the
//! route's resource, when it names one); `context.rs` resolves the tenant; `consistency.rs` holds
//! the consistency-token protocol. Handlers are written with `plinth-infra-edge` (errors,
//! caller, metadata, tokens), as every module's are; most kernel handlers still read their
//! bodies field by field (`json.rs`). [`Application`] binds and serves with graceful
//! shutdown.

mod app;
mod authorize;
mod consistency;
mod context;
mod denials;
mod guard;
mod json;
mod readiness;
mod routes;
mod session_check;

include!(concat!(env!("OUT_DIR"), "/manifest.rs"));

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::MatchedPath;
use axum::routing::{delete, get, patch, post};
use http::Request;
use plinth_domain_identity::PasswordPolicy;
use plinth_domain_permissions::Registry;
use plinth_infra_edge::ApiError;
use plinth_infra_module::{ResolveResource, Route};
use plinth_infra_postgres::Pool;
use plinth_projections_authz::AuthzView;
use plinth_services_authz::AuthzApi;
use plinth_services_identity::{IdentityApi, TokenService};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use app::{Application, StartError};
pub use authorize::{Authorizer, ViewAuthorizer};
pub use denials::Denials;
pub use guard::RouteError;
pub use readiness::{PostgresProbe, ReadinessProbe};

/// What every handler may use.
#[derive(Clone)]
pub struct AppState {
    pub identity: Arc<dyn IdentityApi>,
    /// Role and binding administration, and where the guards report decisions for audit.
    pub authz: Arc<dyn AuthzApi>,
    /// Where denials go for audit, repeats gathered (`denials.rs`).
    pub denials: Arc<Denials>,
    /// The registered modules' permissions and routes: what the guards enforce.
    pub registry: Arc<Registry>,
    /// The registered modules' resolvers, by resource type: what a guard asks for the owner
    /// of the resource a route acts on.
    pub resources: Arc<HashMap<&'static str, Arc<dyn ResolveResource>>>,
    /// Decides the permission checks of the route guards.
    pub authorizer: Arc<dyn Authorizer>,
    /// Roles and bindings in memory: what the authz listings read.
    pub authz_view: Arc<AuthzView>,
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

/// Every route of the gateway — the kernel modules' handlers, then `modules`' — each guarded
/// as its module manifest declares. Fails, naming the route, when a route is not declared in a
/// manifest, a declared one is not served, or one names a resource no module resolves.
pub fn router(state: AppState, modules: Vec<Route>) -> Result<Router, RouteError> {
    use http::Method;
    use routes::{admin, audit, auth, authz, health, sessions, users};
    let timeout = state.request_timeout;
    let guarded = guard::Routes::new(state.clone())
        .add(&Method::POST, "/v1/auth/register", post(auth::register))?
        .add(&Method::POST, "/v1/auth/login", post(auth::login))?
        .add(&Method::POST, "/v1/auth/refresh", post(auth::refresh))?
        .add(&Method::POST, "/v1/auth/logout", post(auth::logout))?
        .add(&Method::GET, "/v1/auth/sessions", get(sessions::list))?
        .add(
            &Method::DELETE,
            "/v1/auth/sessions/{id}",
            delete(sessions::revoke),
        )?
        .add(
            &Method::POST,
            "/v1/auth/verify-email",
            post(auth::verify_email),
        )?
        .add(
            &Method::POST,
            "/v1/auth/password-reset",
            post(auth::request_password_reset),
        )?
        .add(
            &Method::POST,
            "/v1/auth/password-reset/complete",
            post(auth::complete_password_reset),
        )?
        .add(
            &Method::POST,
            "/v1/auth/password",
            post(auth::change_password),
        )?
        .add(&Method::GET, "/v1/users", get(admin::list_users))?
        .add(
            &Method::POST,
            "/v1/users/{id}/disable",
            post(admin::disable),
        )?
        .add(&Method::POST, "/v1/users/{id}/enable", post(admin::enable))?
        .add(&Method::GET, "/v1/users/me", get(users::me))?
        .add(&Method::PATCH, "/v1/users/me", patch(users::update_me))?
        .add(&Method::GET, "/v1/users/{id}", get(users::get_user))?
        .add(&Method::GET, "/.well-known/jwks.json", get(auth::jwks))?
        .add(&Method::POST, "/v1/authz/check", post(authz::check::check))?
        .add(
            &Method::POST,
            "/v1/authz/check/batch",
            post(authz::check::check_batch),
        )?
        .add(&Method::GET, "/v1/authz/roles", get(authz::roles::list))?
        .add(&Method::POST, "/v1/authz/roles", post(authz::roles::create))?
        .add(&Method::GET, "/v1/authz/roles/{id}", get(authz::roles::get))?
        .add(
            &Method::PATCH,
            "/v1/authz/roles/{id}",
            patch(authz::roles::rename),
        )?
        .add(
            &Method::DELETE,
            "/v1/authz/roles/{id}",
            delete(authz::roles::delete),
        )?
        .add(
            &Method::POST,
            "/v1/authz/roles/{id}/grant",
            post(authz::roles::grant),
        )?
        .add(
            &Method::POST,
            "/v1/authz/roles/{id}/revoke",
            post(authz::roles::revoke),
        )?
        .add(
            &Method::POST,
            "/v1/authz/roles/{id}/include",
            post(authz::roles::include),
        )?
        .add(
            &Method::POST,
            "/v1/authz/roles/{id}/exclude",
            post(authz::roles::exclude),
        )?
        .add(
            &Method::POST,
            "/v1/authz/bindings",
            post(authz::bindings::bind),
        )?
        .add(
            &Method::DELETE,
            "/v1/authz/bindings/{id}",
            delete(authz::bindings::unbind),
        )?
        .add(
            &Method::GET,
            "/v1/authz/subjects/{id}/bindings",
            get(authz::bindings::of_subject),
        )?
        .add(
            &Method::GET,
            "/v1/authz/subjects/{id}/permissions",
            get(authz::bindings::effective),
        )?
        .add(
            &Method::GET,
            "/v1/authz/permissions/{permission}/subjects",
            get(authz::bindings::holders),
        )?
        .add(&Method::GET, "/v1/audit/records", get(audit::records))?
        .add(
            &Method::GET,
            "/v1/audit/checkpoints",
            get(audit::checkpoints),
        )?
        .add(&Method::GET, "/healthz", get(health::healthz))?
        .add(&Method::GET, "/readyz", get(health::readyz))?
        .modules(modules)?
        .finish()?;
    Ok(guarded
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            context::resolve,
        ))
        .with_state(state)
        .layer(axum::middleware::from_fn(
            plinth_infra_edge::log_internal_errors,
        ))
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
        ))
}
