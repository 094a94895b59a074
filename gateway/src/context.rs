//! Per-request context resolved at the edge: the tenant, the command metadata, and the
//! authenticated caller.
//!
//! The tenant comes from `X-Tenant-Id`, else from the host's subdomain under the configured
//! base domain, else from the access token; a token is only ever valid in its own tenant.
//! Without any of them (single-tenant deployments) it is the default tenant.

use axum::extract::FromRequestParts;
use http::request::Parts;
use plinth_domain_core::{Actor, CommandMetadata, TenantId};
use uuid::Uuid;

use crate::AppState;
use crate::problem::ApiError;

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

/// The tenant the request acts in: named by the request, or the default tenant.
pub(crate) struct Tenant(pub(crate) TenantId);

impl FromRequestParts<AppState> for Tenant {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(named_tenant(parts, state)?.unwrap_or_default()))
    }
}

/// Metadata for the command this request issues: tenant, actor (anonymous; a [`Caller`]
/// refines it), correlation (the request id), and the current trace.
pub(crate) struct RequestMetadata(pub(crate) CommandMetadata);

impl FromRequestParts<AppState> for RequestMetadata {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Tenant(tenant) = Tenant::from_request_parts(parts, state).await?;
        let request_id = parts
            .headers
            .get(REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| Uuid::parse_str(v).ok())
            .unwrap_or_else(Uuid::now_v7);
        let metadata = CommandMetadata::new(tenant, Actor::Anonymous, request_id)
            .with_traceparent(plinth_infra_telemetry::current_traceparent());
        Ok(Self(metadata))
    }
}

/// The authenticated caller: a verified `Authorization: Bearer` access token whose session
/// has not ended and whose account is enabled, as far as the views know. A route guard that
/// already authenticated the request leaves it in the request's extensions.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub(crate) user_id: Uuid,
    pub(crate) tenant: TenantId,
    pub(crate) session_id: Uuid,
}

impl Caller {
    /// The request's metadata acting as this caller in their tenant.
    pub(crate) fn acting(&self, metadata: CommandMetadata) -> CommandMetadata {
        let mut metadata = metadata.with_actor(Actor::User(self.user_id));
        metadata.tenant_id = self.tenant.clone();
        metadata
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .ok_or_else(|| ApiError::Unauthorized("no bearer token".into()))?;
        let claims = state
            .tokens
            .verify(token.trim())
            .await
            .map_err(|e| match e {
                plinth_services_identity::TokenError::Invalid(reason) => {
                    ApiError::Unauthorized(reason)
                }
                other => ApiError::Unavailable(other.to_string()),
            })?;
        let user_id = Uuid::parse_str(&claims.sub)
            .map_err(|_| ApiError::Unauthorized("sub is not a user id".into()))?;
        let session_id = Uuid::parse_str(&claims.sid)
            .map_err(|_| ApiError::Unauthorized("sid is not a session id".into()))?;
        let tenant = TenantId::parse(&claims.tenant)
            .map_err(|_| ApiError::Unauthorized("tenant claim is invalid".into()))?;
        // A token is valid only in its own tenant, whatever the request names.
        if let Some(named) = named_tenant(parts, state)?
            && named != tenant
        {
            return Err(ApiError::Forbidden(
                "the access token belongs to another tenant".into(),
            ));
        }
        crate::session_check::check(state, &tenant, user_id, session_id, claims.iat).await?;
        Ok(Self {
            user_id,
            tenant,
            session_id,
        })
    }
}
