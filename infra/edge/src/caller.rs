//! The verified caller and the request's metadata, as the gateway resolved them: its guard
//! authenticates a request once (access token, session, account) through the [`Authenticate`]
//! port and leaves a [`Caller`] in the request's extensions, and every request gets its
//! [`RequestMetadata`] there. Handlers of any module extract both, whatever their router's
//! state.

use async_trait::async_trait;
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use http::request::Parts;
use plinth_domain_core::{Actor, CommandMetadata, TenantId};
use uuid::Uuid;

use crate::ApiError;

/// The authenticated caller: a verified access token whose session has not ended and whose
/// account is enabled. `Option<Caller>` on a public route: the caller, if one signed in.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: Uuid,
    pub tenant: TenantId,
    pub session_id: Uuid,
}

impl Caller {
    /// The request's metadata acting as this caller in their tenant.
    pub fn acting(&self, metadata: CommandMetadata) -> CommandMetadata {
        let mut metadata = metadata.with_actor(Actor::User(self.user_id));
        metadata.tenant_id = self.tenant.clone();
        metadata
    }
}

/// Turns an access token into its caller: the identity module implements it, the gateway's
/// guard asks it once per request.
#[async_trait]
pub trait Authenticate: Send + Sync {
    /// The caller `token` (an `Authorization: Bearer` value) stands for: a verified token
    /// whose session has not ended and whose account is enabled. `Unauthorized` naming why not
    /// (logged, never sent), or `Unavailable` when that cannot be known now.
    async fn authenticate(&self, token: &str) -> Result<Caller, ApiError>;
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Self>()
            .cloned()
            .ok_or_else(|| ApiError::Unauthorized("no bearer token".into()))
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<Self>().cloned())
    }
}

/// Metadata for the command a request issues: tenant, actor, correlation (the request id), and
/// the current trace. Anonymous on a public route; on any other, the gateway's guard has made
/// it act as the verified caller in their tenant ([`Caller::acting`]).
#[derive(Debug, Clone)]
pub struct RequestMetadata(pub CommandMetadata);

impl<S: Send + Sync> FromRequestParts<S> for RequestMetadata {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Self>().cloned().ok_or_else(|| {
            ApiError::Internal("the gateway did not resolve the request's metadata".into())
        })
    }
}

impl RequestMetadata {
    /// The tenant the request acts in: the signed-in caller's (the gateway's guard sets it
    /// once it has verified them), else the one the request names, else the default tenant.
    pub fn tenant(&self) -> &TenantId {
        &self.0.tenant_id
    }
}
