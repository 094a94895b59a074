//! Path and query parameters as a handler takes them: axum's extractors, with what they refuse
//! answered as a problem like every other failure (a query string naming a parameter twice, a
//! path segment that is not UTF-8), never axum's plain-text rejection.

use axum::extract::FromRequestParts;
use http::request::Parts;
use serde::de::DeserializeOwned;

use crate::{ApiError, FieldError};

/// The request's path parameters, as `T`.
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<S, T> FromRequestParts<S> for Path<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Self(value))
            .map_err(|e| {
                if e.status().is_server_error() {
                    ApiError::Internal(format!("path parameters: {}", e.body_text()))
                } else {
                    ApiError::Validation(vec![FieldError::new("path", e.body_text())])
                }
            })
    }
}

/// The request's query string, as `T`.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Self(value))
            .map_err(|e| ApiError::Validation(vec![FieldError::new("query", e.body_text())]))
    }
}
