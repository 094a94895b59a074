//! [`ApiError`]: every way a request can fail, mapped once to an RFC 9457 problem document.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use tracing::error;

/// Every way a request can fail, each mapped once to an RFC 9457 problem document.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not JSON, or not the JSON shape expected at all.
    #[error("{0}")]
    MalformedBody(String),
    /// One or more fields are invalid; each is named.
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    BadHeader(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The body is larger than the gateway reads.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// No acceptable access token; the reason is logged, not returned.
    #[error("a valid access token is required")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    /// A verification, reset or refresh token that is unknown, expired, used or revoked.
    #[error("the token is invalid, expired or already used")]
    InvalidToken,
    /// The right password for a disabled account.
    #[error("the account is disabled; contact an administrator")]
    AccountDisabled,
    /// Login refused: the same answer for an unknown address and a wrong password.
    #[error("invalid e-mail address or password")]
    InvalidCredentials,
    /// Over a rate limit; `retry_after` seconds until a request is admitted again.
    #[error("too many requests; retry after {retry_after} s")]
    TooManyRequests { retry_after: u64 },
    /// Too many failed logins; `retry_after` seconds until the lock ends.
    #[error("the account is locked after too many failed logins")]
    Locked { retry_after: i64 },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Conflict(String),
    /// A read could not reach the freshness its consistency token asks for in time.
    #[error("the view has not caught up with the write yet; retry shortly")]
    NotYetConsistent,
    /// A sensitive permission is decided only on an authz view that has applied every authz
    /// write the store holds, and this one has not caught up in time: fail closed.
    #[error(
        "the authorization view has not applied {what} yet; a sensitive permission is decided only once the caller's bindings and roles are current, retry shortly"
    )]
    AuthzBehind { what: String },
    /// A dependency is down; details are logged, not returned.
    #[error("service temporarily unavailable")]
    Unavailable(String),
    /// A bug; details are logged, not returned.
    #[error("internal error")]
    Internal(String),
}

/// One invalid field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The field's path in the body or the parameter's name (`checks[2].subject`, `limit`).
    #[schema(example = "email")]
    pub field: String,
    #[schema(example = "is not an e-mail address")]
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// An RFC 9457 problem document: how every failure is answered
/// (`application/problem+json`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "type": "https://plinth.dev/problems/validation",
    "title": "Invalid request",
    "status": 422,
    "detail": "email: is not an e-mail address",
    "errors": [{"field": "email", "message": "is not an e-mail address"}]
}))]
pub struct Problem {
    /// What kind of problem, as a URI (`https://plinth.dev/problems/<slug>`).
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What went wrong with this request, for people.
    pub detail: String,
    /// Every invalid field, on a 422.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

/// The media type of every error answer.
pub const PROBLEM_JSON: &str = "application/problem+json";

impl ApiError {
    fn status_and_title(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Self::MalformedBody(_) => (
                StatusCode::BAD_REQUEST,
                "malformed-request",
                "Malformed request body",
            ),
            Self::BadHeader(_) => (StatusCode::BAD_REQUEST, "bad-header", "Invalid header"),
            Self::Validation(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation",
                "Invalid request",
            ),
            Self::UnsupportedMediaType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
            ),
            Self::PayloadTooLarge(_) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
            ),
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Forbidden"),
            Self::InvalidToken => (StatusCode::BAD_REQUEST, "invalid-token", "Invalid token"),
            Self::AccountDisabled => (
                StatusCode::FORBIDDEN,
                "account-disabled",
                "Account disabled",
            ),
            Self::InvalidCredentials => (
                StatusCode::UNAUTHORIZED,
                "invalid-credentials",
                "Invalid credentials",
            ),
            Self::Locked { .. } => (StatusCode::LOCKED, "account-locked", "Account locked"),
            Self::TooManyRequests { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-requests",
                "Too many requests",
            ),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            Self::MethodNotAllowed(_) => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
            ),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict", "Conflict"),
            Self::NotYetConsistent => (
                StatusCode::SERVICE_UNAVAILABLE,
                "not-yet-consistent",
                "Not yet consistent",
            ),
            Self::AuthzBehind { .. } => (
                StatusCode::SERVICE_UNAVAILABLE,
                "authz-not-current",
                "Authorization view not current",
            ),
            Self::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
            ),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, slug, title) = self.status_and_title();
        let detail = match &self {
            Self::Validation(errors) => errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        };
        let errors = match &self {
            Self::Validation(errors) => Some(errors.clone()),
            _ => None,
        };
        let body = Problem {
            kind: format!("https://plinth.dev/problems/{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail,
            errors,
        };
        let mut response = (status, Json(body)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if matches!(
            self,
            Self::NotYetConsistent | Self::AuthzBehind { .. } | Self::Unavailable(_)
        ) {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        let wait = match &self {
            Self::Locked { retry_after } => Some((*retry_after).max(1).unsigned_abs()),
            Self::TooManyRequests { retry_after } => Some((*retry_after).max(1)),
            _ => None,
        };
        if let Some(wait) = wait
            && let Ok(value) = HeaderValue::from_str(&wait.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        if let Self::Unauthorized(reason) = &self {
            tracing::debug!(reason, "Access token refused.");
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Bearer realm="plinth", error="invalid_token""#),
            );
        }
        if let Self::Unavailable(internal) | Self::Internal(internal) = self {
            response.extensions_mut().insert(InternalError(internal));
        }
        response
    }
}

/// The cause of a 5xx, kept for the log and never sent to the client.
#[derive(Debug, Clone)]
pub struct InternalError(pub String);

/// Logs the internal cause attached to a failed response, with the request it belongs to (a
/// gateway middleware, inside its timeout and trace layers).
pub async fn log_internal_errors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(
            || request.uri().path().to_owned(),
            |p| p.as_str().to_owned(),
        );
    let response = next.run(request).await;
    if let Some(InternalError(cause)) = response.extensions().get::<InternalError>() {
        error!(%method, route, status = response.status().as_u16(), error = %cause, "Request failed.");
    }
    response
}
