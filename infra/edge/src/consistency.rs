//! Read-your-writes: a write answers [`Written`] (its body plus a `consistency_token`, also as a
//! `Consistency-Token` header), and a read that carries the token takes [`Consistency`] and
//! waits, bounded, until its view has applied that write; a handler that must answer only once
//! a view shows its own write waits with [`Views`]. Both wait through the [`Freshness`] port.

use std::sync::Arc;

use async_trait::async_trait;
use axum::Json;
use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{HeaderValue, StatusCode};
use plinth_domain_core::{ConsistencyToken, TenantId};
use serde::Serialize;

use crate::ApiError;

/// The header a write's token travels in, both ways.
pub const CONSISTENCY_TOKEN_HEADER: &str = "consistency-token";

/// How requests wait for writes, implemented over the read models' progress: the gateway puts
/// it in every request's extensions, where [`Consistency`] and [`Views`] take it.
#[async_trait]
pub trait Freshness: Send + Sync {
    /// Refuses (400) a token that does not name a write committed in `tenant`: a made-up one,
    /// another tenant's, or one ahead of the store could never be waited out, and waiting would
    /// tell its sender how far another tenant's aggregates have got.
    async fn committed(&self, token: &ConsistencyToken, tenant: &TenantId) -> Result<(), ApiError>;

    /// Waits, bounded, until `projection` has applied the write `token` names (503
    /// `not-yet-consistent` when the wait is up).
    async fn applied(&self, token: &ConsistencyToken, projection: &str) -> Result<(), ApiError>;
}

/// The request's way of waiting for its own writes: a handler that answers only once a view
/// shows what it wrote (a logout, once the sessions view has the session ended).
#[derive(Clone)]
pub struct Views(pub Arc<dyn Freshness>);

impl<S: Send + Sync> FromRequestParts<S> for Views {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Arc<dyn Freshness>>()
            .cloned()
            .map(Self)
            .ok_or_else(|| {
                ApiError::Internal("the gateway offers no way to wait for the views".into())
            })
    }
}

/// The request's `Consistency-Token`, if any, with the means to wait for it.
pub struct Consistency {
    pub token: Option<ConsistencyToken>,
    freshness: Option<Arc<dyn Freshness>>,
}

impl Consistency {
    /// Waits until `projection`, fed from `aggregate_types`, reflects the request's token (at
    /// once without one); a token naming a write of another aggregate type, or none committed
    /// in `tenant`, is a bad header.
    pub async fn wait_for(
        &self,
        tenant: &TenantId,
        projection: &str,
        aggregate_types: &[&str],
    ) -> Result<(), ApiError> {
        let Some(token) = self.committed(tenant, aggregate_types).await? else {
            return Ok(());
        };
        self.freshness()?.applied(token, projection).await
    }

    /// The request's token, once checked to name a write of `aggregate_types` committed in
    /// `tenant` (for a read that waits on a view of its own, as the authz view).
    pub async fn committed(
        &self,
        tenant: &TenantId,
        aggregate_types: &[&str],
    ) -> Result<Option<&ConsistencyToken>, ApiError> {
        let Some(token) = &self.token else {
            return Ok(None);
        };
        if !aggregate_types.contains(&token.aggregate_type.as_str()) {
            return Err(ApiError::BadHeader(format!(
                "Consistency-Token names a write this read does not show (it shows {})",
                aggregate_types.join(", ")
            )));
        }
        self.freshness()?.committed(token, tenant).await?;
        Ok(Some(token))
    }

    fn freshness(&self) -> Result<&Arc<dyn Freshness>, ApiError> {
        self.freshness.as_ref().ok_or_else(|| {
            ApiError::Internal("the gateway offers no way to wait for a consistency token".into())
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Consistency {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let token = match parts.headers.get(CONSISTENCY_TOKEN_HEADER) {
            None => None,
            Some(value) => {
                let text = value
                    .to_str()
                    .map_err(|_| ApiError::BadHeader("Consistency-Token must be ASCII".into()))?;
                Some(
                    text.parse::<ConsistencyToken>()
                        .map_err(|e| ApiError::BadHeader(format!("Consistency-Token: {e}")))?,
                )
            }
        };
        Ok(Self {
            token,
            freshness: parts.extensions.get::<Arc<dyn Freshness>>().cloned(),
        })
    }
}

/// "Written, here is your token": `status` with `body` (a struct, serialised as a JSON object)
/// plus its `consistency_token` ([`WithToken`]), also sent as the `Consistency-Token` header.
pub struct Written<T> {
    pub status: StatusCode,
    pub token: ConsistencyToken,
    pub body: T,
}

/// A written body with the token of the write: what [`Written`] answers, and what a route's
/// documentation names as its body (`body = WithToken<Created>`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WithToken<T> {
    #[serde(flatten)]
    pub body: T,
    /// Send it back in the `Consistency-Token` header of a read to read this write.
    #[schema(example = "aWRlbnRpdHkudXNlcnwwMWEyNTIyZC00NTUzfDE")]
    pub consistency_token: String,
}

/// The `Consistency-Token` header a read may carry, as the API documents it.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct ConsistencyHeader {
    /// The token a write answered with: the read waits (bounded) until its view has applied
    /// that write; 400 if it names no write committed in this tenant or one this read does
    /// not show, 503 `not-yet-consistent` if the view has not caught up in time.
    #[param(rename = "Consistency-Token")]
    pub consistency_token: Option<String>,
}

impl<T: Serialize> IntoResponse for Written<T> {
    fn into_response(self) -> Response {
        let token = self.token.to_string();
        let body = WithToken {
            body: self.body,
            consistency_token: token.clone(),
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Ok(value) = HeaderValue::from_str(&token) {
            response
                .headers_mut()
                .insert(CONSISTENCY_TOKEN_HEADER, value);
        }
        response
    }
}
