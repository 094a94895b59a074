//! `/v1/authz`: the check API (`check.rs`), role administration (`roles.rs`), and bindings
//! with the reads about subjects and permissions (`bindings.rs`). Reads come from the
//! in-memory authz view; a write answers once this gateway's view has applied it (bounded by
//! `gateway.consistency_wait_ms`; past that, 202 with `"enforced": false`) and always returns
//! its consistency token, which other gateways' reads and checks accept in the
//! `Consistency-Token` header.

pub(crate) mod bindings;
pub(crate) mod check;
pub(crate) mod roles;

use std::collections::BTreeSet;

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};
use plinth_domain_authz::{BindingError, RoleError};
use plinth_domain_core::ConsistencyToken;
use plinth_domain_core::TenantId;
use plinth_domain_permissions::{Permission, Registry};
use plinth_projections_authz::{Page, Policy};
use plinth_services_authz::AuthzError;
use serde::Deserialize;
use serde_json::{Map, Value};
use tracing::warn;

use plinth_infra_edge::CONSISTENCY_TOKEN_HEADER;
use plinth_infra_edge::FieldError;

pub(crate) use crate::consistency::wait_for_token;
use crate::{ApiError, AppState};

/// The answer to a committed write: `body` plus its `consistency_token` (also as a header),
/// once this gateway's view has applied it (`status`). When the wait is up first, the write is
/// committed but not yet enforced here: 202 Accepted, with `"enforced": false`, so no client
/// takes a revocation for done while the guards still decide without it. (Sensitive
/// permissions are refused meanwhile: the guards wait for the view to catch up.)
pub(crate) async fn written(
    state: &AppState,
    status: StatusCode,
    mut body: Map<String, Value>,
    token: &ConsistencyToken,
) -> Response {
    let enforced = state
        .authorizer
        .wait_for(token, state.consistency_wait)
        .await;
    let status = if enforced {
        status
    } else {
        warn!(%token, "The authz view has not applied a write yet; answering 202 with its token.");
        StatusCode::ACCEPTED
    };
    body.insert("enforced".into(), Value::Bool(enforced));
    let token = token.to_string();
    body.insert("consistency_token".into(), Value::String(token.clone()));
    let mut response = (status, Json(Value::Object(body))).into_response();
    if let Ok(value) = HeaderValue::from_str(&token) {
        response
            .headers_mut()
            .insert(CONSISTENCY_TOKEN_HEADER, value);
    }
    response
}

/// Maps an authz service failure to its HTTP answer.
pub(crate) fn authz_error(e: AuthzError) -> ApiError {
    match e {
        AuthzError::Role(RoleError::NotFound) => ApiError::NotFound("no such role".into()),
        AuthzError::Binding(BindingError::NotFound) => ApiError::NotFound("no such binding".into()),
        AuthzError::ReservedPermission(_) => {
            ApiError::Validation(vec![FieldError::new("permissions", e.to_string())])
        }
        AuthzError::Binding(BindingError::EmptyPeriod | BindingError::AlreadyOver) => {
            ApiError::Validation(vec![FieldError::new("valid_until", e.to_string())])
        }
        AuthzError::Binding(BindingError::PlatformAdminIsUnscoped) | AuthzError::UnknownRole(_) => {
            ApiError::Validation(vec![FieldError::new("role", e.to_string())])
        }
        AuthzError::NotPlatformAdmin => ApiError::Forbidden(e.to_string()),
        AuthzError::Role(RoleError::Cycle(_) | RoleError::AlreadyExists)
        | AuthzError::Binding(BindingError::AlreadyBound)
        | AuthzError::NameTaken
        | AuthzError::Conflict => ApiError::Conflict(e.to_string()),
        AuthzError::Unavailable(reason) => ApiError::Unavailable(reason),
        AuthzError::Internal(reason) => ApiError::Internal(reason),
    }
}

/// `?limit=&cursor=` of the authz listings.
#[derive(Debug, Deserialize)]
pub(crate) struct PageQuery {
    limit: Option<String>,
    cursor: Option<String>,
}

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 200;

impl PageQuery {
    /// The page size (1–200, 50 if absent) and the cursor, or the fields' errors.
    pub(crate) fn parse(&self) -> Result<(usize, Option<&str>), ApiError> {
        let limit = match self.limit.as_deref() {
            None => DEFAULT_LIMIT,
            Some(text) => match text.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(ApiError::Validation(vec![FieldError::new(
                        "limit",
                        format!("must be a whole number from 1 to {MAX_LIMIT}"),
                    )]));
                }
            },
        };
        let cursor = self.cursor.as_deref().filter(|c| !c.is_empty());
        if cursor.is_some_and(|c| c.len() > 256) {
            return Err(ApiError::Validation(vec![FieldError::new(
                "cursor",
                "must be the next_cursor of a previous page",
            )]));
        }
        Ok((limit, cursor))
    }
}

/// One page read from the view once the request's `Consistency-Token` (if any) is applied,
/// answered as `{field: [item, ...], next_cursor}`.
pub(crate) async fn listing<T>(
    state: &AppState,
    token: Option<&ConsistencyToken>,
    tenant: &TenantId,
    query: &PageQuery,
    field: &str,
    read: impl FnOnce(&Policy, Option<&str>, usize) -> Page<T>,
    item: impl Fn(T) -> Value,
) -> Result<Json<Value>, ApiError> {
    let (limit, after) = query.parse()?;
    wait_for_token(state, token, tenant).await?;
    let page = state.authz_view.read(|policy| read(policy, after, limit));
    let mut body = Map::new();
    body.insert(
        field.to_owned(),
        Value::Array(page.items.into_iter().map(item).collect()),
    );
    body.insert(
        "next_cursor".into(),
        page.next.map_or(Value::Null, Value::String),
    );
    Ok(Json(Value::Object(body)))
}

/// A non-empty array of declared permission names in `field`; each bad entry is named.
pub(crate) fn permissions(
    registry: &Registry,
    body: &Map<String, Value>,
    field: &str,
    required: bool,
    errors: &mut Vec<FieldError>,
) -> Option<BTreeSet<Permission>> {
    let items = match body.get(field) {
        None | Some(Value::Null) if !required => return Some(BTreeSet::new()),
        Some(Value::Array(items)) if !items.is_empty() || !required => items,
        _ => {
            errors.push(FieldError::new(
                field,
                "must be a non-empty array of permission names",
            ));
            return None;
        }
    };
    let before = errors.len();
    let mut set = BTreeSet::new();
    for (i, item) in items.iter().enumerate() {
        match item.as_str().map(|name| (name, registry.parse(name))) {
            Some((_, Some(p))) => {
                set.insert(p);
            }
            Some((name, None)) => errors.push(FieldError::new(
                &format!("{field}[{i}]"),
                format!("{name:?} is not a permission any module declares"),
            )),
            None => errors.push(FieldError::new(
                &format!("{field}[{i}]"),
                "must be a string",
            )),
        }
    }
    (errors.len() == before).then_some(set)
}

/// An optional RFC 3339 instant; a malformed one is recorded in `errors` (and is `None`).
pub(crate) fn instant(
    body: &Map<String, Value>,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let text = match body.get(field) {
        None | Some(Value::Null) => return None,
        Some(Value::String(text)) => text,
        Some(_) => {
            errors.push(FieldError::new(field, "must be an RFC 3339 instant string"));
            return None;
        }
    };
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(text) {
        Some(at.with_timezone(&chrono::Utc))
    } else {
        errors.push(FieldError::new(
            field,
            "must be an RFC 3339 instant (2026-11-24T12:00:00Z)",
        ));
        None
    }
}

/// Formats an instant as the API writes them.
pub(crate) fn rfc3339(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
