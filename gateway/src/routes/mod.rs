//! The gateway's own routes: health and readiness, the process's metrics, the API's contract
//! (`docs.rs`), and the problem answers of unknown routes and methods. Every other route is a registered module's.

pub(crate) mod docs;
pub(crate) mod health;
pub(crate) mod metrics;

/// The gateway's own operations, for the document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    health::healthz,
    health::readyz,
    metrics::metrics,
    docs::document,
    docs::page,
    docs::file
))]
pub(crate) struct GatewayApi;

use axum::http::{Method, Uri};

use crate::ApiError;

pub(crate) async fn not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(format!("no route for {}", uri.path()))
}

pub(crate) async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed(format!("{method} is not allowed on {}", uri.path()))
}
