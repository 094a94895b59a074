//! Roles of the caller's tenant: list, read, create, rename, delete, grant and revoke
//! permissions, include and exclude other roles. Built-in roles are listed and read like
//! custom ones but cannot be changed.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use http::StatusCode;
use plinth_domain_authz::{BuiltInRole, RoleName};
use plinth_projections_authz::RoleInfo;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{PageQuery, authz_error, listing, permissions, wait_for_token, written};
use crate::json::JsonObject;
use crate::{ApiError, AppState};
use plinth_infra_edge::FieldError;
use plinth_infra_edge::{Caller, Consistency, RequestMetadata};

fn body(role: &RoleInfo) -> Value {
    json!({
        "id": role.id,
        "name": role.name,
        "built_in": role.built_in,
        "permissions": role.permissions,
        "includes": role.includes,
        "effective_permissions": role.effective,
    })
}

/// The custom role a path names; a built-in role cannot be changed.
fn custom_role(id: &str) -> Result<Uuid, ApiError> {
    if BuiltInRole::ALL.iter().any(|r| r.as_str() == id) {
        return Err(ApiError::Conflict(format!(
            "{id} is a built-in role and cannot be changed"
        )));
    }
    Uuid::try_parse(id).map_err(|_| ApiError::NotFound(format!("no role {id}")))
}

/// `GET /v1/authz/roles?limit=&cursor=` → `{roles, next_cursor}`: custom roles in creation
/// order, then the built-in ones.
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    consistency: Consistency,
    Query(query): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    let tenant = caller.tenant.as_str();
    listing(
        &state,
        consistency.token.as_ref(),
        &caller.tenant,
        &query,
        "roles",
        |p, after, limit| p.roles(tenant, after, limit),
        |role| body(&role),
    )
    .await
}

/// `GET /v1/authz/roles/{id}` → the role (a custom role's id or a built-in role's name).
pub(crate) async fn get(
    State(state): State<AppState>,
    caller: Caller,
    consistency: Consistency,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    wait_for_token(&state, consistency.token.as_ref(), &caller.tenant).await?;
    state
        .authz_view
        .read(|p| p.role(caller.tenant.as_str(), &id))
        .map(|role| Json(body(&role)))
        .ok_or_else(|| ApiError::NotFound(format!("no role {id}")))
}

/// `POST /v1/authz/roles {name, permissions?}` → 201 `{id, name, consistency_token}`.
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    body: JsonObject,
) -> Result<Response, ApiError> {
    let mut errors = Vec::new();
    let name = body.parsed("name", RoleName::parse, &mut errors);
    let granted = permissions(&state.registry, &body.0, "permissions", false, &mut errors);
    let (Some(name), Some(granted)) = (name, granted) else {
        return Err(ApiError::Validation(errors));
    };
    let shown = name.as_str().to_owned();
    let (id, token) = state
        .authz
        .create_role(name, granted, &caller.acting(metadata))
        .await
        .map_err(authz_error)?;
    let mut answer = Map::new();
    answer.insert("id".into(), json!(id));
    answer.insert("name".into(), json!(shown));
    Ok(written(&state, StatusCode::CREATED, answer, &token).await)
}

/// `PATCH /v1/authz/roles/{id} {name}` → 200 `{id, name, consistency_token}`.
pub(crate) async fn rename(
    State(state): State<AppState>,
    caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    Path(id): Path<String>,
    body: JsonObject,
) -> Result<Response, ApiError> {
    let id = custom_role(&id)?;
    let mut errors = Vec::new();
    let Some(name) = body.parsed("name", RoleName::parse, &mut errors) else {
        return Err(ApiError::Validation(errors));
    };
    let shown = name.as_str().to_owned();
    let token = state
        .authz
        .rename_role(id, name, &caller.acting(metadata))
        .await
        .map_err(authz_error)?;
    let mut answer = Map::new();
    answer.insert("id".into(), json!(id));
    answer.insert("name".into(), json!(shown));
    Ok(written(&state, StatusCode::OK, answer, &token).await)
}

/// `DELETE /v1/authz/roles/{id}` → 200 `{consistency_token}`; its bindings grant nothing.
pub(crate) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = custom_role(&id)?;
    let token = state
        .authz
        .delete_role(id, &caller.acting(metadata))
        .await
        .map_err(authz_error)?;
    Ok(written(&state, StatusCode::OK, Map::new(), &token).await)
}

/// What a `POST /v1/authz/roles/{id}/{change}` asks.
#[derive(Clone, Copy)]
enum Change {
    Grant,
    Revoke,
    Include,
    Exclude,
}

async fn change(
    state: AppState,
    caller: Caller,
    metadata: plinth_domain_core::CommandMetadata,
    id: &str,
    body: JsonObject,
    change: Change,
) -> Result<Response, ApiError> {
    let id = custom_role(id)?;
    let metadata = caller.acting(metadata);
    let mut errors = Vec::new();
    let authz = &state.authz;
    let token = match change {
        Change::Grant | Change::Revoke => {
            let Some(set) = permissions(&state.registry, &body.0, "permissions", true, &mut errors)
            else {
                return Err(ApiError::Validation(errors));
            };
            if matches!(change, Change::Grant) {
                authz.grant(id, set, &metadata).await
            } else {
                authz.revoke(id, set, &metadata).await
            }
        }
        Change::Include | Change::Exclude => {
            let Some(other) = body.parsed("role", Uuid::try_parse, &mut errors) else {
                errors.retain(|e| e.field != "role");
                errors.push(FieldError::new("role", "must be a custom role's id"));
                return Err(ApiError::Validation(errors));
            };
            if matches!(change, Change::Include) {
                authz.include(id, other, &metadata).await
            } else {
                authz.exclude(id, other, &metadata).await
            }
        }
    }
    .map_err(authz_error)?;
    let mut answer = Map::new();
    answer.insert("id".into(), json!(id));
    Ok(written(&state, StatusCode::OK, answer, &token).await)
}

/// `POST /v1/authz/roles/{id}/grant {permissions}` → 200 `{id, consistency_token}`.
pub(crate) async fn grant(
    State(state): State<AppState>,
    caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    Path(id): Path<String>,
    body: JsonObject,
) -> Result<Response, ApiError> {
    change(state, caller, metadata, &id, body, Change::Grant).await
}

/// `POST /v1/authz/roles/{id}/revoke {permissions}` → 200 `{id, consistency_token}`.
pub(crate) async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    Path(id): Path<String>,
    body: JsonObject,
) -> Result<Response, ApiError> {
    change(state, caller, metadata, &id, body, Change::Revoke).await
}

/// `POST /v1/authz/roles/{id}/include {role}` → 200; 409 when it would make a cycle.
pub(crate) async fn include(
    State(state): State<AppState>,
    caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    Path(id): Path<String>,
    body: JsonObject,
) -> Result<Response, ApiError> {
    change(state, caller, metadata, &id, body, Change::Include).await
}

/// `POST /v1/authz/roles/{id}/exclude {role}` → 200.
pub(crate) async fn exclude(
    State(state): State<AppState>,
    caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    Path(id): Path<String>,
    body: JsonObject,
) -> Result<Response, ApiError> {
    change(state, caller, metadata, &id, body, Change::Exclude).await
}
