//! The caller's profile, and reading a user.

use axum::Json;
use axum::extract::State;
use http::StatusCode;
use plinth_domain_core::TenantId;
use plinth_domain_identity::{DisplayName, UserId};
use plinth_infra_edge::Path;
use plinth_infra_edge::{
    ApiError, Body, Caller, Consistency, ConsistencyHeader, FieldError, FieldErrors, FromBody,
    NoContext, Problem, RequestMetadata, WithToken, Written, rfc3339,
};
use plinth_projections_users::{NAME as USERS_VIEW, UserView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Identity, path_id, read_error};

/// A user as the API shows them.
#[derive(Serialize, ToSchema)]
#[schema(as = User)]
pub(crate) struct UserBody {
    id: Uuid,
    email: String,
    email_verified: bool,
    display_name: String,
    created_at: String,
    disabled: bool,
    administrator: bool,
    version: i64,
}

impl From<UserView> for UserBody {
    fn from(u: UserView) -> Self {
        Self {
            id: u.id,
            email: u.email,
            email_verified: u.email_verified,
            disabled: u.disabled,
            administrator: u.administrator,
            display_name: u.display_name,
            created_at: rfc3339(u.created_at),
            version: u.version,
        }
    }
}

/// `GET /v1/users/{id}` → 200 user or 404, for the user themself or a holder of
/// `identity.user.read` (the route guard decides); honours `Consistency-Token`.
#[utoipa::path(
    get,
    path = "/v1/users/{id}",
    tag = "identity",
    summary = "Read a user (the user themself, or a holder of identity.user.read)",
    params(("id" = String, Path, description = "The user's id (a UUID)."), ConsistencyHeader),
    responses(
        (status = 200, description = "The user.", body = UserBody),
        (status = 404, description = "No such user in the tenant.", content_type = "application/problem+json", body = Problem),
    )
)]
pub(crate) async fn get(
    State(identity): State<Identity>,
    caller: Caller,
    Path(id): Path<String>,
    consistency: Consistency,
) -> Result<Json<UserBody>, ApiError> {
    let id = path_id(&id)?;
    read_user(&identity, &consistency, &caller.tenant, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no user {id}")))
}

/// `GET /v1/users/me`: the caller's own profile; honours `Consistency-Token`.
#[utoipa::path(
    get,
    path = "/v1/users/me",
    tag = "identity",
    summary = "Read the caller's profile",
    params(ConsistencyHeader),
    responses(
        (status = 200, description = "The caller.", body = UserBody),
        (status = 404, description = "The caller is not in the directory yet (send the registration's Consistency-Token to wait for it).", content_type = "application/problem+json", body = Problem),
    )
)]
pub(crate) async fn me(
    State(identity): State<Identity>,
    caller: Caller,
    consistency: Consistency,
) -> Result<Json<UserBody>, ApiError> {
    read_user(&identity, &consistency, &caller.tenant, caller.user_id)
        .await?
        .ok_or_else(|| {
            ApiError::NotFound("the signed-in user is not in the directory (yet)".into())
        })
}

/// Reads a user from the view, first waiting for the write a `Consistency-Token` names.
async fn read_user(
    identity: &Identity,
    consistency: &Consistency,
    tenant: &TenantId,
    id: Uuid,
) -> Result<Option<Json<UserBody>>, ApiError> {
    consistency
        .wait_for(tenant, USERS_VIEW, &["identity.user"])
        .await?;
    let client = identity.read().await?;
    let user = plinth_projections_users::get_user(&client, tenant.as_str(), id)
        .await
        .map_err(read_error)?;
    Ok(user.map(|u| Json(u.into())))
}

/// `{display_name}`.
pub(crate) struct ProfileChange(DisplayName);

/// A profile change.
#[derive(Deserialize, ToSchema)]
#[schema(as = ProfileChange)]
pub(crate) struct RawProfileChange {
    #[schema(required = true, value_type = String, example = "Ada King")]
    display_name: Option<String>,
}

impl FromBody for ProfileChange {
    type Raw = RawProfileChange;
    type Context = NoContext;
    fn from_body(raw: RawProfileChange, _: &NoContext) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let name = errors.required("display_name", raw.display_name, |d| DisplayName::parse(&d));
        errors.finish(|| name.map(Self))
    }
}

/// A changed profile.
#[derive(Serialize, ToSchema)]
pub(crate) struct Profile {
    id: Uuid,
    display_name: String,
}

/// `PATCH /v1/users/me {display_name}` → 200 `{id, display_name, consistency_token}`.
#[utoipa::path(
    patch,
    path = "/v1/users/me",
    tag = "identity",
    summary = "Change the caller's display name",
    request_body = RawProfileChange,
    responses((status = 200, description = "Changed.", body = WithToken<Profile>,
        headers(("Consistency-Token" = String, description = "Read the change with it."))))
)]
pub(crate) async fn update_me(
    State(identity): State<Identity>,
    caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    Body(ProfileChange(display_name)): Body<ProfileChange>,
) -> Result<Written<Profile>, ApiError> {
    let shown = display_name.as_str().to_owned();
    let token = identity
        .service
        .change_display_name(UserId(caller.user_id), display_name, metadata)
        .await?;
    Ok(Written {
        status: StatusCode::OK,
        token,
        body: Profile {
            id: caller.user_id,
            display_name: shown,
        },
    })
}
