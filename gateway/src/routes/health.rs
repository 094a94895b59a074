use std::collections::BTreeMap;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use futures::future::join_all;
use http::StatusCode;
use serde_json::json;
use tracing::warn;

use crate::AppState;

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
    responses(
        (status = 200, description = "Every dependency answers.", body = Ready),
        (status = 503, description = "A dependency does not answer; `detail` names it, `checks` says which answer.", content_type = "application/problem+json", body = plinth_infra_edge::Problem),
    )
)]
pub(crate) async fn readyz(State(state): State<AppState>) -> Response {
    let checks = join_all(state.probes.iter().map(|probe| async move {
        let result = tokio::time::timeout(Duration::from_secs(3), probe.check())
            .await
            .unwrap_or_else(|_| Err("no answer within 3 s".into()));
        (probe.name(), result)
    }))
    .await;
    // Name what is down; the reasons (hosts, ports, driver errors) go to the log, not the client.
    for (name, result) in &checks {
        if let Err(reason) = result {
            warn!(dependency = name, reason, "Readiness check failed.");
        }
    }
    let failing: Vec<&str> = checks
        .iter()
        .filter(|(_, r)| r.is_err())
        .map(|(name, _)| *name)
        .collect();
    let report: BTreeMap<&'static str, &'static str> = checks
        .iter()
        .map(|(name, r)| (*name, if r.is_ok() { "ok" } else { "unreachable" }))
        .collect();
    if failing.is_empty() {
        return Json(Ready {
            status: "ready",
            checks: report,
        })
        .into_response();
    }
    let body = json!({
        "type": "https://plinth.dev/problems/not-ready",
        "title": "Not ready",
        "status": 503,
        "detail": format!("not reachable: {}", failing.join(", ")),
        "checks": report,
    });
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(plinth_infra_edge::PROBLEM_JSON),
    );
    response
}
