//! Reading JSON bodies so that every failure names what is wrong: not JSON → 400, wrong media
//! type → 415, a missing or mistyped field → 422 naming the field.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use http::header;
use serde_json::{Map, Value};

use crate::problem::{ApiError, FieldError};

/// A JSON object body.
pub(crate) struct JsonObject(pub(crate) Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
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
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(_) => Err(ApiError::MalformedBody(
                "the body must be a JSON object".into(),
            )),
            Err(e) => Err(ApiError::MalformedBody(format!(
                "the body is not valid JSON: {e}"
            ))),
        }
    }
}

impl JsonObject {
    /// A required string field; records an error naming it otherwise.
    pub(crate) fn required_str<'a>(
        &'a self,
        field: &str,
        errors: &mut Vec<FieldError>,
    ) -> Option<&'a str> {
        required_str_in(&self.0, field, field, errors)
    }

    /// A required string field parsed with `parse`; records an error naming it otherwise.
    pub(crate) fn parsed<T, E: std::fmt::Display>(
        &self,
        field: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
        errors: &mut Vec<FieldError>,
    ) -> Option<T> {
        let value = self.required_str(field, errors);
        parse_field(field, value, parse, errors)
    }
}

/// A required string field of `object`, reported as `label` (`checks[2].subject`) when it is
/// missing or not a string.
pub(crate) fn required_str_in<'a>(
    object: &'a Map<String, Value>,
    field: &str,
    label: &str,
    errors: &mut Vec<FieldError>,
) -> Option<&'a str> {
    match object.get(field) {
        Some(Value::String(s)) => Some(s),
        None | Some(Value::Null) => {
            errors.push(FieldError::new(label, "is required"));
            None
        }
        Some(_) => {
            errors.push(FieldError::new(label, "must be a string"));
            None
        }
    }
}

/// A UUID from a field's text (absent: `None`, already reported); records `field` otherwise.
pub(crate) fn uuid(
    text: Option<&str>,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<uuid::Uuid> {
    let parsed = uuid::Uuid::try_parse(text?).ok();
    if parsed.is_none() {
        errors.push(FieldError::new(field, "must be a UUID"));
    }
    parsed
}

/// Parses a field with `parse`, recording its error under the field's name.
fn parse_field<T, E: std::fmt::Display>(
    field: &str,
    value: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, E>,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    match parse(value?) {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push(FieldError::new(field, e.to_string()));
            None
        }
    }
}
