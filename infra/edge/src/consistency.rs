//! Read-your-writes: a write answers [`Written`] (its body plus a `consistency_token`, also as a
//! `Consistency-Token` header), and a read that carries the token takes [`Consistency`] and
//! waits, bounded, until its view has applied that write.

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

/// How a read waits for a write: the gateway's implementation refuses a token that does not
/// name a write committed in the caller's tenant (400: it could never be waited out) and waits
/// until the projection has applied it (503 `not-yet-consistent` when the wait is up).
/// [`Consistency::wait_for`] has refused a token of another view already.
#[async_trait]
pub trait Freshness: Send + Sync {
    async fn wait(
        &self,
        token: &ConsistencyToken,
        tenant: &TenantId,
        projection: &str,
    ) -> Result<(), ApiError>;
}

/// The request's `Consistency-Token`, if any, with the means to wait for it.
pub struct Consistency {
    pub token: Option<ConsistencyToken>,
    freshness: Option<Arc<dyn Freshness>>,
}

impl Consistency {
    /// Waits until `projection`, fed from `aggregate_types`, reflects the request's token (at
    /// once without one); a token naming a write of another aggregate type is a bad header.
    pub async fn wait_for(
        &self,
        tenant: &TenantId,
        projection: &str,
        aggregate_types: &[&str],
    ) -> Result<(), ApiError> {
        let Some(token) = &self.token else {
            return Ok(());
        };
        if !aggregate_types.contains(&token.aggregate_type.as_str()) {
            return Err(ApiError::BadHeader(format!(
                "Consistency-Token names a write this read does not show (it shows {})",
                aggregate_types.join(", ")
            )));
        }
        let Some(freshness) = &self.freshness else {
            return Err(ApiError::Internal(
                "the gateway offers no way to wait for a consistency token".into(),
            ));
        };
        freshness.wait(token, tenant, projection).await
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

/// "Written, here is your token": `status` with `body` (a JSON object) plus its
/// `consistency_token`, also sent as the `Consistency-Token` header.
pub struct Written<T> {
    pub status: StatusCode,
    pub token: ConsistencyToken,
    pub body: T,
}

impl<T: Serialize> IntoResponse for Written<T> {
    fn into_response(self) -> Response {
        let token = self.token.to_string();
        let mut body = match serde_json::to_value(&self.body) {
            Ok(serde_json::Value::Object(map)) => map,
            Ok(_) => serde_json::Map::new(),
            Err(e) => {
                return ApiError::Internal(format!("cannot serialise a response: {e}"))
                    .into_response();
            }
        };
        body.insert(
            "consistency_token".into(),
            serde_json::Value::String(token.clone()),
        );
        let mut response = (self.status, Json(body)).into_response();
        if let Ok(value) = HeaderValue::from_str(&token) {
            response
                .headers_mut()
                .insert(CONSISTENCY_TOKEN_HEADER, value);
        }
        response
    }
}
