//! Typed request bodies. A handler takes [`Body<T>`]: not JSON → 400, another media type → 415,
//! a field of the wrong JSON type → 422 naming it, and then `T`'s own parsing
//! ([`FromBody`]) collects every bad field into one 422 (zero-to-production's
//! `TryFrom<FormData> for NewSubscriber`).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use http::header;
use serde::de::DeserializeOwned;

use crate::problem::{ApiError, FieldError};

/// A request body parsed into a domain value: `Raw` is what the JSON holds (`serde` derive,
/// optional fields as `Option`), `from_body` turns it into `Self`, naming every bad field.
pub trait FromBody: Sized {
    type Raw: DeserializeOwned;
    fn from_body(raw: Self::Raw) -> Result<Self, Vec<FieldError>>;
}

/// A JSON body parsed as `T`.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: FromBody> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                let mime = v
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            });
        if !is_json {
            return Err(ApiError::UnsupportedMediaType(
                "send the body as application/json".into(),
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|e| ApiError::MalformedBody(format!("cannot read the body: {e}")))?;
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::MalformedBody(format!("the body is not valid JSON: {e}")))?;
        if !value.is_object() {
            return Err(ApiError::MalformedBody(
                "the body must be a JSON object".into(),
            ));
        }
        let raw: T::Raw = serde_path_to_error::deserialize(value).map_err(|e| {
            let field = e.path().to_string();
            let message = e.into_inner().to_string();
            let field = if field == "." {
                message
                    .strip_prefix("missing field `")
                    .and_then(|rest| rest.split('`').next())
                    .unwrap_or("body")
                    .to_owned()
            } else {
                field
            };
            ApiError::Validation(vec![FieldError::new(&field, message)])
        })?;
        T::from_body(raw).map(Body).map_err(ApiError::Validation)
    }
}

impl<S: Send + Sync, T: FromBody> axum::extract::OptionalFromRequest<S> for Body<T> {
    type Rejection = ApiError;

    /// No body at all (no `Content-Type`, nothing sent) is `None`; anything else is read as
    /// [`Body`] reads it.
    async fn from_request(request: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        let empty = request.headers().get(header::CONTENT_TYPE).is_none()
            && request
                .headers()
                .get(header::CONTENT_LENGTH)
                .is_none_or(|length| length.as_bytes() == b"0");
        if empty {
            return Ok(None);
        }
        <Self as FromRequest<S>>::from_request(request, state)
            .await
            .map(Some)
    }
}

/// Collects the bad fields of one body.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// `value` parsed with `parse`; a missing value or a parse error is recorded under `field`.
    pub fn required<V, T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        value: Option<V>,
        parse: impl FnOnce(V) -> Result<T, E>,
    ) -> Option<T> {
        let Some(value) = value else {
            self.0.push(FieldError::new(field, "is required"));
            return None;
        };
        self.parsed(field, value, parse)
    }

    /// `value` parsed with `parse`, its error recorded under `field`.
    pub fn parsed<V, T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        value: V,
        parse: impl FnOnce(V) -> Result<T, E>,
    ) -> Option<T> {
        match parse(value) {
            Ok(parsed) => Some(parsed),
            Err(e) => {
                self.0.push(FieldError::new(field, e.to_string()));
                None
            }
        }
    }

    /// Records a bad field.
    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// `Ok(value())` when no field was bad; every bad field otherwise.
    pub fn finish<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, Vec<FieldError>> {
        if self.0.is_empty()
            && let Some(value) = value()
        {
            return Ok(value);
        }
        Err(self.0)
    }
}
