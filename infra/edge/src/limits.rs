//! The limits a handler spends from itself, keyed by what only it knows: the account a sign-in
//! or a reset names. The gateway limits every request by client address and token before the
//! handler runs; it puts its per-account limit in the request's extensions, where [`Limits`]
//! takes it (none there: nothing is limited).

use std::sync::Arc;

use axum::extract::FromRequestParts;
use http::request::Parts;

use crate::ApiError;

/// A limit keyed by the caller's choosing.
pub trait Limit: Send + Sync {
    /// Spends one request of `key`: `TooManyRequests` (429 with `Retry-After`) when none is
    /// left.
    fn admit(&self, key: &str) -> Result<(), ApiError>;
}

/// The request's per-account limit, for a handler.
#[derive(Clone)]
pub struct Limits(Option<Arc<dyn Limit>>);

impl Limits {
    /// Spends one credential request of the account `email` names.
    pub fn account(&self, email: &str) -> Result<(), ApiError> {
        self.0.as_ref().map_or(Ok(()), |limit| limit.admit(email))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Limits {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.extensions.get::<Arc<dyn Limit>>().cloned()))
    }
}
