//! What Confluent clients send and expect on the wire: the registry's content type, JSON request
//! bodies under any of the content types clients use, query flags, and path segments whose
//! rejections answer in Confluent's error shape.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::Error;
use crate::registry::Deleted;

/// The content type of every answer.
pub(crate) const SCHEMA_REGISTRY_JSON: &str = "application/vnd.schemaregistry.v1+json";

/// Request content types accepted besides none at all.
const ACCEPTED_CONTENT_TYPES: [&str; 4] = [
    SCHEMA_REGISTRY_JSON,
    "application/vnd.schemaregistry+json",
    "application/json",
    "application/octet-stream",
];

/// A JSON answer with the registry's content type.
#[derive(Debug)]
pub(crate) struct Reply<T>(pub(crate) T);

impl<T: Serialize> IntoResponse for Reply<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(body) => raw(body),
            Err(error) => {
                tracing::error!(%error, "Could not serialise an answer.");
                let body =
                    br#"{"error_code":50001,"message":"Error while serializing the answer"}"#;
                (StatusCode::INTERNAL_SERVER_ERROR, raw(body.to_vec())).into_response()
            }
        }
    }
}

/// A schema's text as the answer's body (the `/schema` endpoints).
#[derive(Debug)]
pub(crate) struct RawSchema(pub(crate) String);

impl IntoResponse for RawSchema {
    fn into_response(self) -> Response {
        raw(self.0.into_bytes())
    }
}

fn raw(body: Vec<u8>) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(SCHEMA_REGISTRY_JSON));
    response
}

/// A JSON request body. Unknown fields are ignored (clients send `metadata`, `ruleSet` …);
/// malformed JSON is a 400, JSON of the wrong shape a 422, another content type a 415.
#[derive(Debug)]
pub(crate) struct Body<T>(pub(crate) T);

impl<S, T> FromRequest<S> for Body<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Error;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(content_type) = request.headers().get(CONTENT_TYPE) {
            let essence = content_type
                .to_str()
                .unwrap_or_default()
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            if !essence.is_empty() && !ACCEPTED_CONTENT_TYPES.contains(&essence.as_str()) {
                return Err(Error::UnsupportedMediaType);
            }
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| Error::InvalidRequest {
                status: 400,
                message: rejection.body_text(),
            })?;
        serde_json::from_slice(&bytes)
            .map(Body)
            .map_err(|error| Error::InvalidRequest {
                status: if error.is_data() { 422 } else { 400 },
                message: error.to_string(),
            })
    }
}

/// The query string's parameters. Unparseable query strings count as empty.
#[derive(Debug, Default)]
pub(crate) struct Params(HashMap<String, String>);

impl Params {
    /// Whether `name` is `true` (in any letter case; Python clients send `True`).
    pub(crate) fn flag(&self, name: &str) -> bool {
        self.0
            .get(name)
            .is_some_and(|value| value.eq_ignore_ascii_case("true"))
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// Which soft-deleted entries a listing includes: `deletedOnly` (or `deleted_only`), then
    /// `deleted`.
    pub(crate) fn deleted(&self) -> Deleted {
        if self.flag("deletedOnly") || self.flag("deleted_only") {
            Deleted::Only
        } else if self.flag("deleted") {
            Deleted::Include
        } else {
            Deleted::Exclude
        }
    }

    /// Applies `offset` and `limit` (negative: no limit) to a listing.
    pub(crate) fn page<T>(&self, items: Vec<T>) -> Vec<T> {
        let offset = self
            .get("offset")
            .and_then(|value| value.parse::<usize>().ok())
            .unwrap_or(0);
        let limit = self
            .get("limit")
            .and_then(|value| value.parse::<i64>().ok())
            .filter(|limit| *limit >= 0)
            .map_or(usize::MAX, |limit| limit as usize);
        items.into_iter().skip(offset).take(limit).collect()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(
            match Query::<HashMap<String, String>>::from_request_parts(parts, state).await {
                Ok(Query(map)) => Self(map),
                Err(_) => Self::default(),
            },
        )
    }
}

/// Path parameters; a path that does not decode is an unknown endpoint, as in Confluent.
#[derive(Debug)]
pub(crate) struct Segments<T>(pub(crate) T);

impl<S, T> FromRequestParts<S> for Segments<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| Self(value))
            .map_err(|_| Error::EndpointNotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn flags_are_true_in_any_letter_case_and_false_otherwise() {
        let p = params(&[("a", "true"), ("b", "True"), ("c", "false"), ("d", "1")]);
        assert!(p.flag("a") && p.flag("b"));
        assert!(!p.flag("c") && !p.flag("d") && !p.flag("missing"));
    }

    #[test]
    fn deleted_only_wins_over_deleted() {
        assert_eq!(
            params(&[("deleted", "true"), ("deletedOnly", "true")]).deleted(),
            Deleted::Only
        );
        assert_eq!(params(&[("deleted", "true")]).deleted(), Deleted::Include);
        assert_eq!(params(&[]).deleted(), Deleted::Exclude);
    }

    #[test]
    fn pages_skip_the_offset_and_a_negative_limit_means_everything() {
        let items = vec![1, 2, 3, 4];
        assert_eq!(
            params(&[("offset", "1"), ("limit", "2")]).page(items.clone()),
            vec![2, 3]
        );
        assert_eq!(params(&[("limit", "-1")]).page(items.clone()), items);
    }
}
