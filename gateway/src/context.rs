//! Per-request context resolved at the edge: the tenant, the command metadata and the ports a
//! handler may use ([`resolve`], for every request), and the authenticated caller
//! ([`authenticate`], by the route guard).
//!
//! The tenant comes from `X-Tenant-Id`, else from the host's subdomain under the configured
//! base domain, else it is the default tenant (single-tenant deployments); once the guard has
//! verified a caller, the request acts in the caller's tenant (a token is only ever valid in its
//! own tenant, and one naming another is refused).

use std::sync::Arc;

use http::request::Parts;
use plinth_domain_core::{Actor, CommandMetadata, TenantId};
use plinth_infra_edge::{ApiError, Caller, Check, Freshness, Limit, RequestMetadata};
use uuid::Uuid;

use crate::AppState;

/// Header naming the tenant.
pub(crate) const TENANT_HEADER: &str = "x-tenant-id";
/// Header carrying a client's request id, reused as the correlation id.
pub(crate) const REQUEST_ID_HEADER: &str = "x-request-id";

/// The tenant the request names (header or subdomain), if it names one; both must agree.
fn named_tenant(parts: &Parts, state: &AppState) -> Result<Option<TenantId>, ApiError> {
    let header = match parts.headers.get(TENANT_HEADER) {
        None => None,
        Some(value) => {
            let text = value
                .to_str()
                .map_err(|_| ApiError::BadHeader("X-Tenant-Id must be ASCII".into()))?;
            Some(
                TenantId::parse(text)
                    .map_err(|e| ApiError::BadHeader(format!("X-Tenant-Id: {e}")))?,
            )
        }
    };
    match (header, subdomain_tenant(parts, state)?) {
        (Some(h), Some(s)) if h != s => Err(ApiError::BadHeader(format!(
            "X-Tenant-Id names {h} but the host names {s}"
        ))),
        (header, subdomain) => Ok(header.or(subdomain)),
    }
}

/// The tenant named by the host's subdomain under the base domain.
fn subdomain_tenant(parts: &Parts, state: &AppState) -> Result<Option<TenantId>, ApiError> {
    let Some(base) = state.base_domain.as_deref() else {
        return Ok(None);
    };
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| parts.uri.host())
        .unwrap_or_default();
    let host = host.rsplit_once(':').map_or(host, |(name, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            name
        } else {
            host
        }
    });
    let host = host.to_ascii_lowercase();
    match host
        .strip_suffix(base)
        .and_then(|rest| rest.strip_suffix('.'))
    {
        Some(label) if !label.is_empty() && !label.contains('.') => TenantId::parse(label)
            .map(Some)
            .map_err(|e| ApiError::BadHeader(format!("tenant subdomain {label:?}: {e}"))),
        Some(_) => Err(ApiError::BadHeader(format!(
            "{host} is not <tenant>.{base}"
        ))),
        None => Ok(None),
    }
}

/// Resolves every request's metadata (tenant, correlation, trace), records the request's id
/// and tenant on its span (and answers the id in `X-Request-Id`: the caller's, when it sent a
/// UUID, else a new one), and puts the metadata, with the
/// authorization and freshness ports handlers may use, in the request's extensions; a request
/// naming a tenant badly is refused here.
pub(crate) async fn resolve(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (mut parts, body) = request.into_parts();
    let request_id = parts
        .headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Uuid::parse_str(v).ok())
        .unwrap_or_else(Uuid::now_v7);
    let span = tracing::Span::current();
    span.record("request_id", tracing::field::display(request_id));
    let answered = |mut response: axum::response::Response| {
        response.headers_mut().insert(
            REQUEST_ID_HEADER,
            http::HeaderValue::from_str(&request_id.to_string()).expect("a UUID is a header value"),
        );
        response
    };
    let tenant = match named_tenant(&parts, &state) {
        Ok(tenant) => tenant.unwrap_or_default(),
        Err(e) => return answered(e.into_response()),
    };
    span.record("tenant", tracing::field::display(&tenant));
    let metadata = CommandMetadata::new(tenant, Actor::Anonymous, request_id)
        .with_traceparent(plinth_infra_telemetry::current_traceparent());
    parts.extensions.insert(RequestMetadata(metadata));
    parts
        .extensions
        .insert::<Arc<dyn Check>>(state.authorizer.clone());
    parts
        .extensions
        .insert::<Arc<dyn Freshness>>(state.freshness.clone());
    if let Some(accounts) = state.limits.accounts() {
        parts.extensions.insert::<Arc<dyn Limit>>(accounts);
    }
    answered(
        next.run(axum::extract::Request::from_parts(parts, body))
            .await,
    )
}

/// The caller the request's `Authorization: Bearer` access token stands for, as the
/// authenticator verifies it (token, session, account), in the tenant the request names.
pub(crate) async fn authenticate(parts: &Parts, state: &AppState) -> Result<Caller, ApiError> {
    let token = bearer(parts).ok_or_else(|| ApiError::Unauthorized("no bearer token".into()))?;
    let caller = state.authenticator.authenticate(token).await?;
    // A token is valid only in its own tenant, whatever the request names.
    if let Some(named) = named_tenant(parts, state)?
        && named != caller.tenant
    {
        return Err(ApiError::Forbidden(
            "the access token belongs to another tenant".into(),
        ));
    }
    Ok(caller)
}

/// The request's bearer token, if it sends one.
pub(crate) fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
}
