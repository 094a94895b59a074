//! The API's contract: `GET /openapi.json` (the document `openapi.rs` assembles) and the
//! interactive page at `/docs` (Swagger UI, its files shipped inside the binary: no CDN).

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use http::{HeaderValue, header};
use plinth_infra_edge::Path;

use crate::{ApiError, AppState};

/// The page's settings: where the document is, and trying operations out enabled.
pub(crate) fn page_config() -> Arc<utoipa_swagger_ui::Config<'static>> {
    Arc::new(
        utoipa_swagger_ui::Config::from("/openapi.json")
            .try_it_out_enabled(true)
            .persist_authorization(true)
            .display_request_duration(true),
    )
}

/// `GET /openapi.json`: the OpenAPI 3.1 document of every route.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "gateway",
    summary = "This document",
    responses((status = 200, description = "The OpenAPI 3.1 document of every route.", content_type = "application/json", body = Object))
)]
pub(crate) async fn document(State(state): State<AppState>) -> Response {
    let mut response = state.openapi.as_str().to_owned().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// `GET /docs`: the interactive page (its files are under `/docs/`).
#[utoipa::path(
    get,
    path = "/docs",
    tag = "gateway",
    summary = "The interactive page of this document",
    responses((status = 303, description = "To the page, /docs/index.html."))
)]
pub(crate) async fn page() -> Redirect {
    Redirect::to("/docs/index.html")
}

/// `GET /docs/{file}`: the page and its files.
#[utoipa::path(
    get,
    path = "/docs/{file}",
    tag = "gateway",
    summary = "The page's files",
    params(("file" = String, Path, description = "A file of the page (index.html, swagger-ui.css, …).")),
    responses(
        (status = 200, description = "The file.", content_type = "text/html", body = String),
        (status = 404, description = "No such file of the page.", content_type = "application/problem+json", body = plinth_infra_edge::Problem),
    )
)]
pub(crate) async fn file(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let served = utoipa_swagger_ui::serve(&file, state.docs.clone())
        .map_err(|e| ApiError::Internal(format!("the docs page: {e}")))?
        .ok_or_else(|| ApiError::NotFound(format!("no file {file} in the docs page")))?;
    let content_type = HeaderValue::from_str(&served.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    Ok((
        [(header::CONTENT_TYPE, content_type)],
        served.bytes.into_owned(),
    )
        .into_response())
}
