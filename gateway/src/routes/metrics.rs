//! `GET /metrics`: the process's metrics in the Prometheus text format, and the middleware that
//! records every request's (by route template, never the raw path, and status).

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, header};

/// `GET /metrics`.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "gateway",
    summary = "This process's metrics (Prometheus text format)",
    responses((status = 200, description = "Every family docs/operations.md lists.", content_type = "text/plain", body = String))
)]
pub(crate) async fn metrics() -> Response {
    let mut response = plinth_infra_telemetry::metrics().render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// Counts every request by method, route template and status, and times it.
pub(crate) async fn record(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!(
        "plinth_http_requests_total",
        "method" => method.clone(),
        "route" => route.clone(),
        "status" => status
    )
    .increment(1);
    metrics::histogram!(
        "plinth_http_request_duration_seconds",
        "method" => method,
        "route" => route
    )
    .record(started.elapsed().as_secs_f64());
    response
}
