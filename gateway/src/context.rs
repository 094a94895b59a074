//! Per-request context resolved at the edge: the tenant and the command metadata.

use axum::extract::FromRequestParts;
use http::request::Parts;
use plinth_domain_core::{Actor, CommandMetadata, TenantId};
use uuid::Uuid;

use crate::problem::ApiError;

/// Header naming the tenant; single-tenant deployments omit it.
pub(crate) const TENANT_HEADER: &str = "x-tenant-id";
/// Header carrying a client's request id, reused as the correlation id.
pub(crate) const REQUEST_ID_HEADER: &str = "x-request-id";

/// The tenant the request acts in.
pub(crate) struct Tenant(pub(crate) TenantId);

impl<S: Send + Sync> FromRequestParts<S> for Tenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.headers.get(TENANT_HEADER) {
            None => Ok(Self(TenantId::default())),
            Some(value) => {
                let text = value
                    .to_str()
                    .map_err(|_| ApiError::BadHeader("X-Tenant-Id must be ASCII".into()))?;
                TenantId::parse(text)
                    .map(Self)
                    .map_err(|e| ApiError::BadHeader(format!("X-Tenant-Id: {e}")))
            }
        }
    }
}

/// Metadata for the command this request issues: tenant, actor, correlation (the request id),
/// and the current trace.
pub(crate) struct RequestMetadata(pub(crate) CommandMetadata);

impl<S: Send + Sync> FromRequestParts<S> for RequestMetadata {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
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

/// The authenticated caller, from a verified `Authorization: Bearer` access token.
pub(crate) struct Caller {
    pub(crate) user_id: Uuid,
    pub(crate) tenant: TenantId,
    #[allow(dead_code, reason = "the session check of issue 3 reads it")]
    pub(crate) session_id: Uuid,
}

impl FromRequestParts<crate::AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &crate::AppState,
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
        if let Some(value) = parts.headers.get(TENANT_HEADER)
            && value.to_str().ok() != Some(tenant.as_str())
        {
            return Err(ApiError::Forbidden(
                "the access token belongs to another tenant".into(),
            ));
        }
        Ok(Self {
            user_id,
            tenant,
            session_id,
        })
    }
}
