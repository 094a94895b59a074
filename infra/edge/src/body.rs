//! Typed request bodies. A handler takes [`Body<T>`]: not JSON → 400, another media type → 415,
//! a field of the wrong JSON type → 422 naming it, and then `T`'s own parsing
//! ([`FromBody`]) collects every bad field into one 422 (zero-to-production's
//! `TryFrom<FormData> for NewSubscriber`). Parsing that needs more than the body (the password
//! policy, the declared permissions) reads it from the router's state as its
//! [`FromBody::Context`].

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, Request};
use http::header;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_path_to_error::Segment;

use crate::problem::{ApiError, FieldError};

/// A request body parsed into a domain value: `Raw` is what the JSON holds (`serde` derive),
/// `from_body` turns it into `Self`, naming every bad field. Every field of `Raw` is an
/// `Option` (or has a default), so that a missing field is named by `from_body` with the rest
/// rather than ending parsing; `#[serde(deny_unknown_fields)]` on `Raw` names unknown ones too.
pub trait FromBody: Sized {
    type Raw: DeserializeOwned;
    /// What parsing reads from the router's state ([`NoContext`] for nothing).
    type Context;
    fn from_body(raw: Self::Raw, context: &Self::Context) -> Result<Self, Vec<FieldError>>;
}

/// The context of a body that is parsed from itself alone, whatever the router's state. (Not
/// `Clone`, so that it comes from every state, not from itself alone as axum's `FromRef` would
/// have it.)
#[derive(Debug, Default)]
pub struct NoContext;

impl<S> FromRef<S> for NoContext {
    fn from_ref(_: &S) -> Self {
        Self
    }
}

/// A JSON body parsed as `T`.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<S, T> FromRequest<S> for Body<T>
where
    S: Send + Sync,
    T: FromBody,
    T::Context: FromRef<S>,
{
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
        let bytes = Bytes::from_request(request, state).await.map_err(|e| {
            if e.status() == http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge(format!("the body is too large: {}", e.body_text()))
            } else {
                ApiError::MalformedBody(format!("cannot read the body: {e}"))
            }
        })?;
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::MalformedBody(format!("the body is not valid JSON: {e}")))?;
        if !value.is_object() {
            return Err(ApiError::MalformedBody(
                "the body must be a JSON object".into(),
            ));
        }
        let (raw, mut errors) = deserialize::<T::Raw>(value);
        let parsed = raw.map(|raw| T::from_body(raw, &T::Context::from_ref(state)));
        match parsed {
            Some(Ok(body)) if errors.is_empty() => Ok(Body(body)),
            Some(Err(more)) => {
                // A mistyped field is named once, as mistyped, not again as missing (nor its
                // array or object as a whole).
                let more: Vec<FieldError> = more
                    .into_iter()
                    .filter(|m| !errors.iter().any(|e| within(&e.field, &m.field)))
                    .collect();
                errors.extend(more);
                Err(ApiError::Validation(errors))
            }
            _ => Err(ApiError::Validation(errors)),
        }
    }
}

/// The most bad fields one answer names: past them, parsing stops (each one found costs a
/// pass over the whole body, so a body of many bad fields cannot hold a core).
const MAX_FIELD_ERRORS: usize = 20;

/// Deserializes `value` as `R`, naming every field of the wrong JSON type and every unknown
/// one (not only the first, up to [`MAX_FIELD_ERRORS`]): each is recorded, set aside (a
/// mistyped value as `null`, a mistyped array element with its whole array, an unknown field
/// removed) and deserialization tried again. `None` when it cannot get past an error (a missing
/// field that `R` requires, or too many).
fn deserialize<R: DeserializeOwned>(mut value: Value) -> (Option<R>, Vec<FieldError>) {
    let mut errors: Vec<FieldError> = Vec::new();
    let mut named = std::collections::HashSet::new();
    loop {
        let error = match serde_path_to_error::deserialize::<_, R>(&value) {
            Ok(raw) => return (Some(raw), errors),
            Err(e) => e,
        };
        let path = error.path().clone();
        let serde = error.into_inner().to_string();
        let (field, message, set_aside) = if serde.starts_with("unknown field `") {
            // The path ends at the unknown key itself.
            let key = match path.iter().next_back() {
                Some(Segment::Map { key }) => key.clone(),
                _ => quoted(&serde, "unknown field `")
                    .unwrap_or_default()
                    .to_owned(),
            };
            let expected = serde.split_once(", expected ").map_or("", |(_, e)| e);
            let message = format!("is not a field of this body (expected {expected})");
            (path.to_string(), message, Aside::Remove(key))
        } else if let Some(missing) = quoted(&serde, "missing field `") {
            (
                prefixed(&path, missing),
                "is required".to_owned(),
                Aside::None,
            )
        } else {
            (path.to_string(), readable(&serde), Aside::Null)
        };
        let repeated = !named.insert(field.clone());
        if !repeated {
            errors.push(FieldError::new(&field, message));
        }
        if repeated || errors.len() >= MAX_FIELD_ERRORS || !set_aside.apply(&mut value, &path) {
            return (None, errors);
        }
    }
}

/// How a bad field is set aside before trying again.
enum Aside {
    /// The mistyped value becomes `null`.
    Null,
    /// The unknown key is removed from the object at the path.
    Remove(String),
    /// It cannot be.
    None,
}

impl Aside {
    /// Applies to `value` at `path`; whether it could. A mistyped array element sets its whole
    /// array aside (an array's elements cannot be `null`ed one by one).
    fn apply(self, value: &mut Value, path: &serde_path_to_error::Path) -> bool {
        let mut segments: Vec<&Segment> = path.iter().collect();
        if let Self::Null = self {
            while matches!(segments.last(), Some(Segment::Seq { .. })) {
                segments.pop();
            }
        }
        let (last, parents) = match (&self, segments.split_last()) {
            (Self::Null, Some((last, parents))) => (Some(*last), parents),
            (Self::Remove(key), Some((Segment::Map { key: at }, parents))) if at == key => {
                (None, parents)
            }
            (Self::Remove(_), _) => (None, segments.as_slice()),
            _ => return false,
        };
        let mut at = value;
        for segment in parents {
            let next = match (segment, at) {
                (Segment::Map { key }, Value::Object(map)) => map.get_mut(key),
                (Segment::Seq { index }, Value::Array(items)) => items.get_mut(*index),
                _ => None,
            };
            let Some(next) = next else { return false };
            at = next;
        }
        match (self, last, at) {
            (Self::Null, Some(Segment::Map { key }), Value::Object(map)) => {
                map.get_mut(key).map(|v| *v = Value::Null).is_some()
            }
            (Self::Remove(key), None, Value::Object(map)) => map.remove(&key).is_some(),
            _ => false,
        }
    }
}

/// Whether `field` is `outer` or lies inside it (`tags[1]` in `tags`, `scope.type` in `scope`).
fn within(field: &str, outer: &str) -> bool {
    field
        .strip_prefix(outer)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['[', '.']))
}

/// The name between backticks after `prefix` in a serde message.
fn quoted<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    message.strip_prefix(prefix)?.split('`').next()
}

/// `name` inside the object at `path` (`scope.type`).
fn prefixed(path: &serde_path_to_error::Path, name: &str) -> String {
    match path.to_string().as_str() {
        "." => name.to_owned(),
        parent => format!("{parent}.{name}"),
    }
}

/// serde's "invalid type: integer `1`, expected a string" as "must be a string".
fn readable(message: &str) -> String {
    let Some((_, expected)) = message.rsplit_once(", expected ") else {
        return message.to_owned();
    };
    let expected = match expected {
        "a sequence" => "an array",
        "a map" => "an object",
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number",
        "f32" | "f64" => "a number",
        other if other.starts_with("struct ") => "an object",
        other => other,
    };
    format!("must be {expected}")
}

impl<S, T> axum::extract::OptionalFromRequest<S> for Body<T>
where
    S: Send + Sync,
    T: FromBody,
    T::Context: FromRef<S>,
{
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

    /// `value`; a missing one is recorded under `field`.
    pub fn present<V>(&mut self, field: &str, value: Option<V>) -> Option<V> {
        if value.is_none() {
            self.0.push(FieldError::new(field, "is required"));
        }
        value
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

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::{FieldError, deserialize};

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        name: Option<String>,
        tags: Option<Vec<String>>,
        scope: Option<Scope>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Scope {
        #[serde(rename = "type")]
        kind: Option<String>,
    }

    fn fields(errors: &[FieldError]) -> Vec<(&str, &str)> {
        errors
            .iter()
            .map(|e| (e.field.as_str(), e.message.as_str()))
            .collect()
    }

    #[test]
    fn every_mistyped_and_unknown_field_is_named_not_only_the_first() {
        let (raw, errors) = deserialize::<Raw>(json!({
            "name": 7,
            "tags": ["a", 2],
            "scope": {"type": false, "extra": 1},
            "colour": "red",
        }));
        let raw = raw.unwrap_or_else(|| panic!("every bad field can be set aside: {errors:?}"));
        assert!(raw.name.is_none() && raw.tags.is_none());
        let mut named = fields(&errors);
        named.sort_unstable();
        assert_eq!(
            named,
            [
                (
                    "colour",
                    "is not a field of this body (expected one of `name`, `tags`, `scope`)"
                ),
                ("name", "must be a string"),
                (
                    "scope.extra",
                    "is not a field of this body (expected `type`)"
                ),
                ("scope.type", "must be a string"),
                ("tags[1]", "must be a string"),
            ],
            "{errors:?}"
        );
    }

    #[test]
    fn a_body_of_many_bad_fields_is_answered_after_the_first_twenty() {
        let mut body = serde_json::Map::new();
        for i in 0..10_000 {
            body.insert(format!("extra{i}"), json!(i));
        }
        let (raw, errors) = deserialize::<Raw>(serde_json::Value::Object(body));
        assert!(raw.is_none());
        assert_eq!(errors.len(), super::MAX_FIELD_ERRORS);
    }

    #[test]
    fn a_body_of_the_right_shape_has_no_errors() {
        let (raw, errors) =
            deserialize::<Raw>(json!({"name": "a", "tags": [], "scope": {"type": "t"}}));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(raw.unwrap().scope.unwrap().kind.as_deref(), Some("t"));
    }
}
