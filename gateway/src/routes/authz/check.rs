//! `POST /v1/authz/check` and `/v1/authz/check/batch`: does a subject hold a permission in the
//! caller's tenant (on a resource)? Answered from the in-memory authz view; a
//! `Consistency-Token` from an authz write makes the check wait until the view has applied it.

use axum::Json;
use axum::extract::State;
use plinth_domain_permissions::{Permission, Registry};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::wait_for_token;
use crate::json::{JsonObject, uuid};
use crate::{ApiError, AppState};
use plinth_infra_edge::FieldError;
use plinth_infra_edge::{Caller, Consistency};
use plinth_infra_edge::{ResourceRef, Subject};

/// The most checks one batch may hold.
const MAX_BATCH: usize = 100;

/// One check, parsed.
struct Check {
    subject: Uuid,
    permission: Permission,
    resource: Option<(String, String, Option<Uuid>)>,
}

fn string<'a>(
    object: &'a Map<String, Value>,
    field: &str,
    prefix: &str,
    errors: &mut Vec<FieldError>,
) -> Option<&'a str> {
    crate::json::required_str_in(object, field, &format!("{prefix}{field}"), errors)
}

/// Parses `{subject, permission, tenant?, resource?: {type, id, owner?}}`; field names in
/// errors carry `prefix` (`checks[3].`).
fn parse_check(
    registry: &Registry,
    object: &Map<String, Value>,
    prefix: &str,
    caller: &Caller,
    errors: &mut Vec<FieldError>,
) -> Result<Option<Check>, ApiError> {
    if let Some(tenant) = object.get("tenant").and_then(Value::as_str)
        && tenant != caller.tenant.as_str()
    {
        return Err(ApiError::Forbidden(format!(
            "checks are answered in the caller's tenant ({}), not {tenant}",
            caller.tenant
        )));
    }
    let subject = uuid(
        string(object, "subject", prefix, errors),
        &format!("{prefix}subject"),
        errors,
    );
    let permission = string(object, "permission", prefix, errors).and_then(|name| {
        let parsed = registry.parse(name);
        if parsed.is_none() {
            errors.push(FieldError::new(
                &format!("{prefix}permission"),
                format!("{name:?} is not a permission any module declares"),
            ));
        }
        parsed
    });
    let resource = match object.get("resource") {
        None | Some(Value::Null) => Some(None),
        Some(Value::Object(r)) => {
            let inner = format!("{prefix}resource.");
            let kind = string(r, "type", &inner, errors);
            let id = string(r, "id", &inner, errors);
            let owner = match r.get("owner") {
                None | Some(Value::Null) => Some(None),
                Some(Value::String(o)) => uuid(Some(o), &format!("{inner}owner"), errors).map(Some),
                Some(_) => {
                    errors.push(FieldError::new(&format!("{inner}owner"), "must be a UUID"));
                    None
                }
            };
            match (kind, id, owner) {
                (Some(kind), Some(id), Some(owner)) => {
                    Some(Some((kind.to_owned(), id.to_owned(), owner)))
                }
                _ => None,
            }
        }
        Some(_) => {
            errors.push(FieldError::new(
                &format!("{prefix}resource"),
                "must be an object {type, id, owner?}",
            ));
            None
        }
    };
    Ok(match (subject, permission, resource) {
        (Some(subject), Some(permission), Some(resource)) => Some(Check {
            subject,
            permission,
            resource,
        }),
        _ => None,
    })
}

async fn decide(state: &AppState, caller: &Caller, check: &Check) -> Value {
    let resource = check
        .resource
        .as_ref()
        .map(|(kind, id, owner)| ResourceRef {
            resource_type: kind,
            id,
            owner: *owner,
        });
    let decision = state
        .authorizer
        .check(
            Subject {
                user_id: check.subject,
                tenant: &caller.tenant,
            },
            check.permission,
            resource,
        )
        .await;
    json!({ "allowed": decision.allowed, "reason": decision.reason })
}

/// `POST /v1/authz/check {subject, permission, tenant?, resource?}` → `{allowed, reason}`.
pub(crate) async fn check(
    State(state): State<AppState>,
    caller: Caller,
    consistency: Consistency,
    body: JsonObject,
) -> Result<Json<Value>, ApiError> {
    let mut errors = Vec::new();
    let parsed = parse_check(&state.registry, &body.0, "", &caller, &mut errors)?;
    let Some(check) = parsed.filter(|_| errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    wait_for_token(&state, consistency.token.as_ref(), &caller.tenant).await?;
    Ok(Json(decide(&state, &caller, &check).await))
}

/// `POST /v1/authz/check/batch {checks: [...]}` → `{results: [{allowed, reason}, ...]}`, in
/// order; at most 100 checks.
pub(crate) async fn check_batch(
    State(state): State<AppState>,
    caller: Caller,
    consistency: Consistency,
    body: JsonObject,
) -> Result<Json<Value>, ApiError> {
    let Some(Value::Array(items)) = body.0.get("checks") else {
        return Err(ApiError::Validation(vec![FieldError::new(
            "checks",
            "is required: an array of checks",
        )]));
    };
    if items.is_empty() || items.len() > MAX_BATCH {
        return Err(ApiError::Validation(vec![FieldError::new(
            "checks",
            format!("must hold 1 to {MAX_BATCH} checks"),
        )]));
    }
    let mut errors = Vec::new();
    let mut checks = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let prefix = format!("checks[{i}].");
        let Value::Object(object) = item else {
            errors.push(FieldError::new(
                &format!("checks[{i}]"),
                "must be an object",
            ));
            continue;
        };
        if let Some(check) = parse_check(&state.registry, object, &prefix, &caller, &mut errors)? {
            checks.push(check);
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    wait_for_token(&state, consistency.token.as_ref(), &caller.tenant).await?;
    let mut results = Vec::with_capacity(checks.len());
    for check in &checks {
        results.push(decide(&state, &caller, check).await);
    }
    Ok(Json(json!({ "results": results })))
}
