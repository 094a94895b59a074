//! Bindings of the caller's tenant (bind, unbind), and the reads about them: a subject's
//! bindings, a subject's effective permissions, and the subjects holding a permission.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use http::StatusCode;
use plinth_domain_authz::{RoleRef, Scope};
use plinth_projections_authz::BindingInfo;
use plinth_services_authz::NewBinding;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{PageQuery, authz_error, instant, listing, rfc3339, written};
use crate::json::{JsonObject, required_str_in, uuid};
use crate::{ApiError, AppState};
use plinth_infra_edge::FieldError;
use plinth_infra_edge::{Caller, Consistency, RequestMetadata};

fn body(binding: BindingInfo) -> Value {
    let scope = binding
        .resource_type
        .map(|t| json!({"type": t, "id": binding.resource_id}));
    json!({
        "id": binding.id,
        "tenant": binding.tenant,
        "subject": binding.subject,
        "role": binding.role,
        "scope": scope,
        "owner_only": binding.owner_only,
        "valid_from": binding.valid_from.map(rfc3339),
        "valid_until": binding.valid_until.map(rfc3339),
        "active": binding.active,
    })
}

/// `scope: {type, id?}`, absent or null for the whole tenant.
fn scope(body: &Map<String, Value>, errors: &mut Vec<FieldError>) -> Option<Scope> {
    let object = match body.get("scope") {
        None | Some(Value::Null) => return Some(Scope::Tenant),
        Some(Value::Object(object)) => object,
        Some(_) => {
            errors.push(FieldError::new("scope", "must be an object {type, id?}"));
            return None;
        }
    };
    let before = errors.len();
    let kind = required_str_in(object, "type", "scope.type", errors);
    if kind.is_some_and(|k| k.is_empty() || k.len() > 128) {
        errors.push(FieldError::new("scope.type", "must be 1 to 128 characters"));
    }
    let id = match object.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) if !id.is_empty() && id.len() <= 256 => Some(id.clone()),
        Some(_) => {
            errors.push(FieldError::new(
                "scope.id",
                "must be a string of 1 to 256 characters",
            ));
            None
        }
    };
    let kind = kind.filter(|_| errors.len() == before)?.to_owned();
    Some(match id {
        None => Scope::ResourceType(kind),
        Some(id) => Scope::Resource {
            resource_type: kind,
            id,
        },
    })
}

fn parse_binding(body: &Map<String, Value>) -> Result<NewBinding, ApiError> {
    let mut errors = Vec::new();
    let subject = uuid(
        required_str_in(body, "subject", "subject", &mut errors),
        "subject",
        &mut errors,
    );
    let role = required_str_in(body, "role", "role", &mut errors).and_then(|text| {
        let parsed = RoleRef::parse(text);
        if parsed.is_none() {
            errors.push(FieldError::new(
                "role",
                "must be owner, admin, member, platform-admin or a custom role's id",
            ));
        }
        parsed
    });
    let scope = scope(body, &mut errors);
    let owner_only = match body.get("owner_only") {
        None | Some(Value::Null) => Some(false),
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => {
            errors.push(FieldError::new("owner_only", "must be true or false"));
            None
        }
    };
    let valid_from = instant(body, "valid_from", &mut errors);
    let valid_until = instant(body, "valid_until", &mut errors);
    match (subject, role, scope, owner_only) {
        (Some(subject), Some(role), Some(scope), Some(owner_only)) if errors.is_empty() => {
            Ok(NewBinding {
                subject,
                role,
                scope,
                owner_only,
                valid_from,
                valid_until,
            })
        }
        _ => Err(ApiError::Validation(errors)),
    }
}

/// `POST /v1/authz/bindings {subject, role, scope?, owner_only?, valid_from?, valid_until?}`
/// → 201 `{id, consistency_token}`.
pub(crate) async fn bind(
    State(state): State<AppState>,
    caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    body: JsonObject,
) -> Result<Response, ApiError> {
    let binding = parse_binding(&body.0)?;
    let (id, token) = state
        .authz
        .bind(binding, &caller.acting(metadata))
        .await
        .map_err(authz_error)?;
    let mut answer = Map::new();
    answer.insert("id".into(), json!(id));
    Ok(written(&state, StatusCode::CREATED, answer, &token).await)
}

/// `DELETE /v1/authz/bindings/{id}` → 200 `{consistency_token}`.
pub(crate) async fn unbind(
    State(state): State<AppState>,
    caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = Uuid::try_parse(&id).map_err(|_| ApiError::NotFound(format!("no binding {id}")))?;
    let token = state
        .authz
        .unbind(id, &caller.acting(metadata))
        .await
        .map_err(authz_error)?;
    Ok(written(&state, StatusCode::OK, Map::new(), &token).await)
}

fn subject_id(id: &str) -> Result<Uuid, ApiError> {
    Uuid::try_parse(id)
        .map_err(|_| ApiError::Validation(vec![FieldError::new("id", "must be a user's id")]))
}

/// `GET /v1/authz/subjects/{id}/bindings` → `{bindings, next_cursor}`: every binding of the
/// subject that applies in the tenant, active or not.
pub(crate) async fn of_subject(
    State(state): State<AppState>,
    caller: Caller,
    consistency: Consistency,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    let subject = subject_id(&id)?;
    let (tenant, now) = (caller.tenant.as_str(), chrono::Utc::now());
    listing(
        &state,
        consistency.token.as_ref(),
        &caller.tenant,
        &query,
        "bindings",
        |p, after, limit| p.subject_bindings(tenant, subject, now, after, limit),
        body,
    )
    .await
}

/// `GET /v1/authz/subjects/{id}/permissions` → `{permissions: [{permission, bindings,
/// conditional}], next_cursor}`: what the subject holds now; `conditional` when every binding
/// giving it is limited to a scope or to owned resources.
pub(crate) async fn effective(
    State(state): State<AppState>,
    caller: Caller,
    consistency: Consistency,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    let subject = subject_id(&id)?;
    let (tenant, now) = (caller.tenant.as_str(), chrono::Utc::now());
    listing(
        &state,
        consistency.token.as_ref(),
        &caller.tenant,
        &query,
        "permissions",
        |p, after, limit| p.effective_permissions(tenant, subject, now, after, limit),
        |h| json!({"permission": h.permission, "bindings": h.bindings, "conditional": h.conditional}),
    )
    .await
}

/// `GET /v1/authz/permissions/{permission}/subjects` → `{subjects: [{subject, bindings,
/// conditional}], next_cursor}`: who holds the permission in the tenant now.
pub(crate) async fn holders(
    State(state): State<AppState>,
    caller: Caller,
    consistency: Consistency,
    Path(permission): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    let Some(permission) = state.registry.parse(&permission) else {
        return Err(ApiError::NotFound(format!(
            "{permission:?} is not a permission any module declares"
        )));
    };
    let (tenant, now) = (caller.tenant.as_str(), chrono::Utc::now());
    listing(
        &state,
        consistency.token.as_ref(),
        &caller.tenant,
        &query,
        "subjects",
        |p, after, limit| p.holders(tenant, permission.as_str(), now, after, limit),
        |h| json!({"subject": h.subject, "bindings": h.bindings, "conditional": h.conditional}),
    )
    .await
}
