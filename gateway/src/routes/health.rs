use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::json;

use crate::Readiness;

/// The process is up.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct Health {
    #[schema(example = "ok")]
    status: &'static str,
}

/// `GET /healthz`: the process is up.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "gateway",
    summary = "Whether the process is up",
    responses((status = 200, description = "The process is up.", body = Health))
)]
pub(crate) async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Every dependency answers.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(example = json!({"status": "ready", "checks": {"postgres": "ok", "broker": "ok", "schema_registry": "ok"}}))]
pub(crate) struct Ready {
    /// `ready`.
    status: &'static str,
    /// Each dependency: `ok` or `unreachable`.
    checks: BTreeMap<&'static str, &'static str>,
}

/// `GET /readyz`: every dependency answers; 503 naming those that do not.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "gateway",
    summary = "Whether every dependency answers",
    responses(
        (status = 200, description = "Every dependency answers.", body = Ready),
        (status = 503, description = "A dependency does not answer; `detail` names it, `checks` says which answer.", content_type = "application/problem+json", body = plinth_infra_edge::Problem),
    )
)]
pub(crate) async fn readyz(State(readiness): State<Arc<Readiness>>) -> Response {
    let checks = readiness.last();
    let failing: Vec<&str> = checks
        .iter()
        .filter(|(_, ok)| !ok)
        .map(|(name, _)| *name)
        .collect();
    let report: BTreeMap<&'static str, &'static str> = checks
        .iter()
        .map(|(name, ok)| (*name, if *ok { "ok" } else { "unreachable" }))
        .collect();
    if failing.is_empty() {
        return Json(Ready {
            status: "ready",
            checks: report,
        })
        .into_response();
    }
    not_ready(&format!("not reachable: {}", failing.join(", ")), &report)
}

/// 503 saying why, with what each dependency answered.
fn not_ready(detail: &str, checks: &BTreeMap<&'static str, &'static str>) -> Response {
    let body = json!({
        "type": "https://plinth.dev/problems/not-ready",
        "title": "Not ready",
        "status": 503,
        "detail": detail,
        "checks": checks,
    });
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(plinth_infra_edge::PROBLEM_JSON),
    );
    response.headers_mut().insert(
        http::header::RETRY_AFTER,
        http::HeaderValue::from_static("1"),
    );
    response
}
