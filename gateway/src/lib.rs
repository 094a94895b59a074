//! Plinth's HTTP gateway: a thin axum edge over ports. It resolves each request's tenant and
//! metadata, authenticates the caller once, guards every route as its module's manifest
//! declares (with the route's resource, when it names one), and answers errors as
//! `application/problem+json`. It serves no module's handlers of its own: every route but
//! its own (`/healthz`, `/readyz`, `/metrics`, `/openapi.json`, `/docs`) is a registered module's, identity's and authz's as much as the
//! Blog's, and it decides with the ports those modules offer ([`Authenticate`], [`Authorize`])
//! and the read models' [`Freshness`], never with their implementations.
//!
//! Start with [`router`] and [`AppState`]; `guard.rs` authenticates each request once and
//! decides its permission; `context.rs` resolves the tenant and puts the ports in every
//! request's extensions, where `plinth-infra-edge`'s extractors take them. [`Application`]
//! binds and serves with graceful shutdown; `routes/metrics.rs` counts and times every request.

mod app;
mod context;
mod guard;
mod limits;
mod openapi;
mod readiness;
mod routes;

include!(concat!(env!("OUT_DIR"), "/manifest.rs"));

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::MatchedPath;
use axum::routing::get;
use http::Request;
use plinth_domain_permissions::Registry;
use plinth_infra_edge::{ApiError, Authenticate, Authorize, Freshness};
use plinth_infra_module::{ResolveResource, Route};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use app::{Application, Serving, StartError};
pub use guard::RouteError;
pub use limits::{Limits, RateLimits};
pub use openapi::BEARER;
pub use readiness::{Readiness, ReadinessProbe};

/// What the edge decides with.
#[derive(Clone)]
pub struct AppState {
    /// The registered modules' permissions and routes: what the guards enforce.
    pub registry: Arc<Registry>,
    /// The registered modules' resolvers, by resource type: what a guard asks for the owner
    /// of the resource a route acts on.
    pub resources: Arc<HashMap<&'static str, Arc<dyn ResolveResource>>>,
    /// Turns access tokens into callers (the identity module's).
    pub authenticator: Arc<dyn Authenticate>,
    /// Decides the guards' permission checks and records them (the authz module's).
    pub authorizer: Arc<dyn Authorize>,
    /// How requests wait for the read models (for consistency tokens).
    pub freshness: Arc<dyn Freshness>,
    /// What `/readyz` answers from.
    pub readiness: Arc<Readiness>,
    /// How long a guard may wait for the authz view (a consistency token naming an authz
    /// write; a sensitive permission).
    pub consistency_wait: Duration,
    pub request_timeout: Duration,
    /// With `example.com`, `acme.example.com` names tenant `acme`; `None`: no subdomains.
    pub base_domain: Option<String>,
    /// The OpenAPI document served at `/openapi.json` ([`document`]), as JSON.
    pub openapi: Arc<String>,
    /// The `/docs` page's settings.
    pub docs: Arc<utoipa_swagger_ui::Config<'static>>,
    /// The largest request body read; larger ones are refused with 413.
    pub body_limit: usize,
    /// Browser origins allowed to call the API (`*` for any); empty: no CORS.
    pub cors_origins: Vec<String>,
    /// The rate limits every request passes first.
    pub limits: Arc<Limits>,
}

/// `/readyz` answers from the readiness alone, in the gateway as in [`probes_router`].
impl axum::extract::FromRef<AppState> for Arc<Readiness> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.readiness)
    }
}

/// The OpenAPI document of the gateway's own routes and `modules`' (each module's
/// `Http::openapi`), completed from the manifests in `registry`: the bearer security of
/// every guarded route and the problems the guards and the edge answer with. Fails, naming the
/// route, when a declared route is not documented or a documented one is not declared.
pub fn document(
    registry: &Registry,
    modules: impl IntoIterator<Item = utoipa::openapi::OpenApi>,
) -> Result<utoipa::openapi::OpenApi, RouteError> {
    use utoipa::OpenApi;
    openapi::document(
        registry,
        std::iter::once(routes::GatewayApi::openapi()).chain(modules),
    )
}

/// The CORS layer for `origins` (`*` for any), if any are configured: the API's methods and
/// headers allowed, the headers a browser client reads exposed.
fn cors(origins: &[String]) -> Option<tower_http::cors::CorsLayer> {
    use http::{HeaderName, Method, header};
    use tower_http::cors::{AllowOrigin, CorsLayer};
    if origins.is_empty() {
        return None;
    }
    let allowed = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|o| http::HeaderValue::from_str(o).ok()),
        )
    };
    let consistency = HeaderName::from_static(plinth_infra_edge::CONSISTENCY_TOKEN_HEADER);
    Some(
        CorsLayer::new()
            .allow_origin(allowed)
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PATCH,
                Method::PUT,
                Method::DELETE,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                consistency.clone(),
                HeaderName::from_static(context::TENANT_HEADER),
                HeaderName::from_static(context::REQUEST_ID_HEADER),
            ])
            .expose_headers([
                consistency,
                HeaderName::from_static(context::REQUEST_ID_HEADER),
                header::LOCATION,
                header::RETRY_AFTER,
                header::WWW_AUTHENTICATE,
            ])
            .max_age(Duration::from_secs(600)),
    )
}

/// A process's own `GET /healthz`, `/readyz` (answered from `readiness`) and `/metrics`, for a
/// process that runs no gateway (`telemetry.listen`): the gateway's handlers, without its
/// guards or modules.
pub fn probes_router(readiness: Arc<Readiness>) -> Router {
    use routes::{health, metrics};
    plinth_infra_telemetry::metrics();
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::metrics))
        .with_state(readiness)
}

/// The `/docs` page's settings: where the document is, trying operations out enabled.
pub fn docs_page() -> Arc<utoipa_swagger_ui::Config<'static>> {
    routes::docs::page_config()
}

/// Every route of the gateway — its own health routes, then the registered modules' — each
/// guarded as its module manifest declares. Fails, naming the route, when a route is not
/// declared in a manifest, a declared one is not served, or one names a resource no module
/// resolves.
///
/// The gateway's own `/metrics` renders the whole process's registry: a process that runs no
/// gateway answers it, `/healthz` and `/readyz` with [`probes_router`] instead.
pub fn router(state: AppState, modules: Vec<Route>) -> Result<Router, RouteError> {
    use http::Method;
    use routes::{docs, health, metrics};
    plinth_infra_telemetry::metrics();
    let timeout = state.request_timeout;
    let (body_limit, cors) = (state.body_limit, cors(&state.cors_origins));
    let guarded = guard::Routes::new(state.clone())
        .add(&Method::GET, "/healthz", get(health::healthz))?
        .add(&Method::GET, "/readyz", get(health::readyz))?
        .add(&Method::GET, "/metrics", get(metrics::metrics))?
        .add(&Method::GET, "/openapi.json", get(docs::document))?
        .add(&Method::GET, "/docs", get(docs::page))?
        .add(&Method::GET, "/docs/{file}", get(docs::file))?
        .modules(modules)?
        .finish()?;
    let router = guarded
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            context::resolve,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        .with_state(state);
    // Preflights are answered before routing; without configured origins, no CORS at all.
    let router = match cors {
        Some(cors) => router.layer(cors),
        None => router,
    };
    Ok(router
        .layer(axum::middleware::from_fn(
            plinth_infra_edge::log_internal_errors,
        ))
        .layer(TimeoutLayer::with_status_code(
            http::StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        // Outside the timeout: a request that times out is counted with its 503.
        .layer(axum::middleware::from_fn(routes::metrics::record))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    // Spans are named by the matched route, never the raw path (low cardinality).
                    let route = request
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or("unmatched", MatchedPath::as_str);
                    // The request's id, tenant and user are recorded as the request is resolved
                    // and its caller authenticated: every log line within the request carries them.
                    let span = tracing::info_span!(
                        "http",
                        otel.name = %format!("{} {route}", request.method()),
                        otel.kind = "server",
                        method = %request.method(),
                        route,
                        request_id = tracing::field::Empty,
                        tenant = tracing::field::Empty,
                        user = tracing::field::Empty,
                    );
                    // Continue the caller's trace, so the events this request causes carry it too.
                    if let Some(traceparent) = request
                        .headers()
                        .get("traceparent")
                        .and_then(|v| v.to_str().ok())
                    {
                        plinth_infra_telemetry::attach_traceparent(&span, traceparent);
                    }
                    span
                })
                // The access log: one line per request, with its status and latency.
                .on_response(
                    tower_http::trace::DefaultOnResponse::new()
                        .level(tracing::Level::INFO)
                        .latency_unit(tower_http::LatencyUnit::Millis),
                ),
        ))
}
