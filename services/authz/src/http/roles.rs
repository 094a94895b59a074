//! Roles of the caller's tenant: list, read, create, rename, delete, grant and revoke
//! permissions, include and exclude other roles. Built-in roles are listed and read like
//! custom ones but cannot be changed.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use http::StatusCode;
use plinth_domain_authz::{BuiltInRole, RoleName};
use plinth_domain_permissions::{Permission, Registry};
use plinth_infra_edge::{
    ApiError, Body, Caller, Consistency, ConsistencyHeader, FieldError, FieldErrors, FromBody,
    NoContext, Problem, RequestMetadata, WithToken, Written,
};
use plinth_infra_edge::{Path, Query};
use plinth_projections_authz::RoleInfo;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Authz, Enforced, PageQuery, permissions};

/// A role as the API shows it.
#[derive(Serialize, ToSchema)]
#[schema(as = Role)]
pub(crate) struct RoleBody {
    /// A custom role's id, or a built-in role's name.
    id: String,
    name: String,
    built_in: bool,
    permissions: Vec<String>,
    includes: Vec<Uuid>,
    effective_permissions: Vec<String>,
}

impl From<RoleInfo> for RoleBody {
    fn from(role: RoleInfo) -> Self {
        Self {
            id: role.id,
            name: role.name,
            built_in: role.built_in,
            permissions: role.permissions,
            includes: role.includes,
            effective_permissions: role.effective,
        }
    }
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
#[utoipa::path(
    get,
    path = "/v1/authz/roles",
    tag = "authz",
    summary = "List the tenant's roles",
    params(PageQuery, ConsistencyHeader),
    responses((status = 200, description = "A page of roles: custom ones, then the built-in ones.", body = RolePage))
)]
pub(crate) async fn list(
    State(authz): State<Authz>,
    caller: Caller,
    consistency: Consistency,
    Query(query): Query<PageQuery>,
) -> Result<Json<RolePage>, ApiError> {
    let tenant = caller.tenant.as_str();
    authz
        .listing(
            &consistency,
            &caller.tenant,
            &query,
            |p, after, limit| p.roles(tenant, after, limit),
            RoleBody::from,
            |roles, next_cursor| RolePage { roles, next_cursor },
        )
        .await
}

/// A page of roles.
#[derive(Serialize, ToSchema)]
pub(crate) struct RolePage {
    roles: Vec<RoleBody>,
    /// Where the next page starts; `null` on the last one.
    next_cursor: Option<String>,
}

/// `GET /v1/authz/roles/{id}` → the role (a custom role's id or a built-in role's name).
#[utoipa::path(
    get,
    path = "/v1/authz/roles/{id}",
    tag = "authz",
    summary = "Read a role",
    params(("id" = String, Path, description = "A custom role's id, or a built-in role's name (owner, admin, member, platform-admin)."), ConsistencyHeader),
    responses(
        (status = 200, description = "The role.", body = RoleBody),
        (status = 404, description = "No such role in the tenant.", content_type = "application/problem+json", body = Problem),
    )
)]
pub(crate) async fn get(
    State(authz): State<Authz>,
    caller: Caller,
    consistency: Consistency,
    Path(id): Path<String>,
) -> Result<Json<RoleBody>, ApiError> {
    authz.caught_up(&consistency, &caller.tenant).await?;
    authz
        .view
        .read(|p| p.role(caller.tenant.as_str(), &id))
        .map(|role| Json(role.into()))
        .ok_or_else(|| ApiError::NotFound(format!("no role {id}")))
}

/// `{name, permissions?}`.
pub(crate) struct NewRole {
    name: RoleName,
    permissions: BTreeSet<Permission>,
}

/// A new role.
#[derive(Deserialize, ToSchema)]
#[schema(as = NewRole)]
pub(crate) struct RawRole {
    /// Unique in the tenant; not a built-in role's name.
    #[schema(required = true, value_type = String, example = "support")]
    name: Option<String>,
    /// Declared permission names it grants.
    #[schema(value_type = Vec<String>, example = json!(["identity.user.read"]))]
    permissions: Option<Vec<String>>,
}

impl FromBody for NewRole {
    type Raw = RawRole;
    type Context = Arc<Registry>;
    fn from_body(raw: RawRole, registry: &Arc<Registry>) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let name = errors.required("name", raw.name, |n| RoleName::parse(&n));
        let granted = permissions(registry, &mut errors, "permissions", raw.permissions, false);
        errors.finish(|| {
            Some(Self {
                name: name?,
                permissions: granted?,
            })
        })
    }
}

/// A role written: its id and name.
#[derive(Serialize, ToSchema)]
#[schema(as = RoleWritten)]
pub(crate) struct Named {
    id: Uuid,
    name: String,
}

/// `POST /v1/authz/roles {name, permissions?}` → 201 `{id, name, enforced, consistency_token}`.
#[utoipa::path(
    post,
    path = "/v1/authz/roles",
    tag = "authz",
    summary = "Create a role",
    request_body = RawRole,
    responses(
        (status = 201, description = "Created, and enforced by this gateway's guards.", body = WithToken<Enforced<Named>>),
        (status = 202, description = "Created; this gateway's guards do not enforce it yet (`enforced` is false).", body = WithToken<Enforced<Named>>),
        (status = 409, description = "The tenant has a role of that name.", content_type = "application/problem+json", body = Problem),
    )
)]
pub(crate) async fn create(
    State(authz): State<Authz>,
    _caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    Body(role): Body<NewRole>,
) -> Result<Written<Enforced<Named>>, ApiError> {
    let name = role.name.as_str().to_owned();
    let (id, token) = authz
        .service
        .create_role(role.name, role.permissions, &metadata)
        .await?;
    Ok(authz
        .written(StatusCode::CREATED, token, Named { id, name })
        .await)
}

/// `{name}`.
pub(crate) struct Rename(RoleName);

/// A role's new name.
#[derive(Deserialize, ToSchema)]
#[schema(as = RoleRename)]
pub(crate) struct RawRename {
    #[schema(required = true, value_type = String, example = "helpdesk")]
    name: Option<String>,
}

impl FromBody for Rename {
    type Raw = RawRename;
    type Context = NoContext;
    fn from_body(raw: RawRename, _: &NoContext) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let name = errors.required("name", raw.name, |n| RoleName::parse(&n));
        errors.finish(|| name.map(Self))
    }
}

/// `PATCH /v1/authz/roles/{id} {name}` → 200 `{id, name, enforced, consistency_token}`.
#[utoipa::path(
    patch,
    path = "/v1/authz/roles/{id}",
    tag = "authz",
    summary = "Rename a role",
    params(("id" = String, Path, description = "A custom role's id (built-in roles cannot be changed: 409).")),
    request_body = RawRename,
    responses(
        (status = 200, description = "Renamed.", body = WithToken<Enforced<Named>>),
        (status = 202, description = "Done; this gateway's guards do not enforce it yet (`enforced` is false).", body = WithToken<Enforced<Named>>),
        (status = 404, description = "No such role in the tenant.", content_type = "application/problem+json", body = Problem),
        (status = 409, description = "A built-in role cannot be changed; the tenant has a role of that name.", content_type = "application/problem+json", body = Problem),
    )
)]
pub(crate) async fn rename(
    State(authz): State<Authz>,
    _caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    Path(id): Path<String>,
    Body(Rename(name)): Body<Rename>,
) -> Result<Written<Enforced<Named>>, ApiError> {
    let id = custom_role(&id)?;
    let shown = name.as_str().to_owned();
    let token = authz.service.rename_role(id, name, &metadata).await?;
    Ok(authz
        .written(StatusCode::OK, token, Named { id, name: shown })
        .await)
}

/// Nothing but the write's token (and whether it is enforced).
#[derive(Serialize, ToSchema)]
#[schema(as = Acknowledged)]
pub(crate) struct Done {}

/// `DELETE /v1/authz/roles/{id}` → 200 `{enforced, consistency_token}`; its bindings grant
/// nothing.
#[utoipa::path(
    delete,
    path = "/v1/authz/roles/{id}",
    tag = "authz",
    summary = "Delete a role",
    params(("id" = String, Path, description = "A custom role's id (built-in roles cannot be changed: 409).")),
    responses(
        (status = 200, description = "Deleted; its bindings grant nothing.", body = WithToken<Enforced<Done>>),
        (status = 202, description = "Done; this gateway's guards do not enforce it yet (`enforced` is false).", body = WithToken<Enforced<Done>>),
        (status = 404, description = "No such role in the tenant.", content_type = "application/problem+json", body = Problem),
        (status = 409, description = "A built-in role cannot be changed.", content_type = "application/problem+json", body = Problem),
    )
)]
pub(crate) async fn delete(
    State(authz): State<Authz>,
    _caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    Path(id): Path<String>,
) -> Result<Written<Enforced<Done>>, ApiError> {
    let id = custom_role(&id)?;
    let token = authz.service.delete_role(id, &metadata).await?;
    Ok(authz.written(StatusCode::OK, token, Done {}).await)
}

/// `{permissions}`: a non-empty array of declared permission names.
pub(crate) struct PermissionSet(BTreeSet<Permission>);

/// Declared permission names.
#[derive(Deserialize, ToSchema)]
#[schema(as = PermissionSet)]
pub(crate) struct RawPermissionSet {
    #[schema(required = true, value_type = Vec<String>, min_items = 1, example = json!(["identity.user.read"]))]
    permissions: Option<Vec<String>>,
}

impl FromBody for PermissionSet {
    type Raw = RawPermissionSet;
    type Context = Arc<Registry>;
    fn from_body(raw: RawPermissionSet, registry: &Arc<Registry>) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let set = permissions(registry, &mut errors, "permissions", raw.permissions, true);
        errors.finish(|| set.map(Self))
    }
}

/// A role changed: its id.
#[derive(Serialize, ToSchema)]
#[schema(as = RoleChanged)]
pub(crate) struct Changed {
    id: Uuid,
}

/// `POST /v1/authz/roles/{id}/grant {permissions}` → 200 `{id, enforced, consistency_token}`.
#[utoipa::path(
    post,
    path = "/v1/authz/roles/{id}/grant",
    tag = "authz",
    summary = "Grant permissions to a role",
    params(("id" = String, Path, description = "A custom role's id (built-in roles cannot be changed: 409).")),
    request_body = RawPermissionSet,
    responses(
        (status = 200, description = "Granted (those held already are ignored).", body = WithToken<Enforced<Changed>>),
        (status = 202, description = "Done; this gateway's guards do not enforce it yet (`enforced` is false).", body = WithToken<Enforced<Changed>>),
        (status = 404, description = "No such role in the tenant.", content_type = "application/problem+json", body = Problem),
        (status = 409, description = "A built-in role cannot be changed.", content_type = "application/problem+json", body = Problem),
    )
)]
pub(crate) async fn grant(
    State(authz): State<Authz>,
    _caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    Path(id): Path<String>,
    Body(PermissionSet(set)): Body<PermissionSet>,
) -> Result<Written<Enforced<Changed>>, ApiError> {
    let id = custom_role(&id)?;
    let token = authz.service.grant(id, set, &metadata).await?;
    Ok(authz.written(StatusCode::OK, token, Changed { id }).await)
}

/// `POST /v1/authz/roles/{id}/revoke {permissions}` → 200 `{id, enforced, consistency_token}`.
#[utoipa::path(
    post,
    path = "/v1/authz/roles/{id}/revoke",
    tag = "authz",
    summary = "Take permissions from a role",
    params(("id" = String, Path, description = "A custom role's id (built-in roles cannot be changed: 409).")),
    request_body = RawPermissionSet,
    responses(
        (status = 200, description = "Taken (those it lacks are ignored).", body = WithToken<Enforced<Changed>>),
        (status = 202, description = "Done; this gateway's guards do not enforce it yet (`enforced` is false).", body = WithToken<Enforced<Changed>>),
        (status = 404, description = "No such role in the tenant.", content_type = "application/problem+json", body = Problem),
        (status = 409, description = "A built-in role cannot be changed.", content_type = "application/problem+json", body = Problem),
    )
)]
pub(crate) async fn revoke(
    State(authz): State<Authz>,
    _caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    Path(id): Path<String>,
    Body(PermissionSet(set)): Body<PermissionSet>,
) -> Result<Written<Enforced<Changed>>, ApiError> {
    let id = custom_role(&id)?;
    let token = authz.service.revoke(id, set, &metadata).await?;
    Ok(authz.written(StatusCode::OK, token, Changed { id }).await)
}

/// `{role}`: a custom role's id.
pub(crate) struct OtherRole(Uuid);

/// Another custom role.
#[derive(Deserialize, ToSchema)]
#[schema(as = OtherRole)]
pub(crate) struct RawOtherRole {
    #[schema(required = true, value_type = String, format = Uuid)]
    role: Option<String>,
}

impl FromBody for OtherRole {
    type Raw = RawOtherRole;
    type Context = NoContext;
    fn from_body(raw: RawOtherRole, _: &NoContext) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let role = errors.parsed("role", raw.role, |r| {
            r.as_deref()
                .and_then(|r| Uuid::try_parse(r).ok())
                .ok_or("must be a custom role's id")
        });
        errors.finish(|| role.map(Self))
    }
}

/// `POST /v1/authz/roles/{id}/include {role}` → 200; 409 when it would make a cycle.
#[utoipa::path(
    post,
    path = "/v1/authz/roles/{id}/include",
    tag = "authz",
    summary = "Make a role include another",
    params(("id" = String, Path, description = "A custom role's id (built-in roles cannot be changed: 409).")),
    request_body = RawOtherRole,
    responses(
        (status = 200, description = "The role grants what the other grants.", body = WithToken<Enforced<Changed>>),
        (status = 202, description = "Done; this gateway's guards do not enforce it yet (`enforced` is false).", body = WithToken<Enforced<Changed>>),
        (status = 404, description = "No such role in the tenant.", content_type = "application/problem+json", body = Problem),
        (status = 409, description = "A built-in role cannot be changed; the inclusion would make a cycle.", content_type = "application/problem+json", body = Problem),
    )
)]
pub(crate) async fn include(
    State(authz): State<Authz>,
    _caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    Path(id): Path<String>,
    Body(OtherRole(other)): Body<OtherRole>,
) -> Result<Written<Enforced<Changed>>, ApiError> {
    let id = custom_role(&id)?;
    let token = authz.service.include(id, other, &metadata).await?;
    Ok(authz.written(StatusCode::OK, token, Changed { id }).await)
}

/// `POST /v1/authz/roles/{id}/exclude {role}` → 200.
#[utoipa::path(
    post,
    path = "/v1/authz/roles/{id}/exclude",
    tag = "authz",
    summary = "Stop a role including another",
    params(("id" = String, Path, description = "A custom role's id (built-in roles cannot be changed: 409).")),
    request_body = RawOtherRole,
    responses(
        (status = 200, description = "Excluded.", body = WithToken<Enforced<Changed>>),
        (status = 202, description = "Done; this gateway's guards do not enforce it yet (`enforced` is false).", body = WithToken<Enforced<Changed>>),
        (status = 404, description = "No such role in the tenant.", content_type = "application/problem+json", body = Problem),
        (status = 409, description = "A built-in role cannot be changed.", content_type = "application/problem+json", body = Problem),
    )
)]
pub(crate) async fn exclude(
    State(authz): State<Authz>,
    _caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    Path(id): Path<String>,
    Body(OtherRole(other)): Body<OtherRole>,
) -> Result<Written<Enforced<Changed>>, ApiError> {
    let id = custom_role(&id)?;
    let token = authz.service.exclude(id, other, &metadata).await?;
    Ok(authz.written(StatusCode::OK, token, Changed { id }).await)
}
