use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use futures::future::join_all;
use http::StatusCode;
use serde_json::{Map, Value, json};
use tracing::warn;

use crate::AppState;

/// `GET /healthz`: the process is up.
pub(crate) async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: every dependency answers; 503 naming those that do not.
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
    let report: Map<String, Value> = checks
        .iter()
        .map(|(name, r)| {
            (
                (*name).to_owned(),
                Value::from(if r.is_ok() { "ok" } else { "unreachable" }),
            )
        })
        .collect();
    if failing.is_empty() {
        (
            StatusCode::OK,
            Json(json!({ "status": "ready", "checks": report })),
        )
            .into_response()
    } else {
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
            http::HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}
