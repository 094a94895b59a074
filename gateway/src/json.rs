//! Reading JSON bodies so that every failure names what is wrong: not JSON → 400, wrong media
//! type → 415, a missing or mistyped field → 422 naming the field.

use axum::extract::{FromRequest, Request};
use plinth_infra_edge::{Body, FromBody};
use serde_json::{Map, Value};

use plinth_infra_edge::{ApiError, FieldError};

/// A JSON object body, read field by field (the kernel's handlers not yet moved to typed
/// [`plinth_infra_edge::Body`]s).
pub(crate) struct JsonObject(pub(crate) Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Body(object) = Body::<Object>::from_request(request, state).await?;
        Ok(Self(object.0))
    }
}

/// Any JSON object, as a typed body.
struct Object(Map<String, Value>);

impl FromBody for Object {
    type Raw = Map<String, Value>;
    fn from_body(raw: Self::Raw) -> Result<Self, Vec<FieldError>> {
        Ok(Self(raw))
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
