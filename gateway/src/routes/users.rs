use axum::Json;
use axum::extract::{Path, State};
use plinth_domain_core::TenantId;
use plinth_infra_edge::{Caller, Consistency, FieldError, RequestMetadata, Written};
use plinth_projections_users::{NAME as USERS_VIEW, UserView};
use serde::Serialize;
use uuid::Uuid;

use crate::{ApiError, AppState};

#[derive(Serialize)]
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
            created_at: u
                .created_at
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            version: u.version,
        }
    }
}

/// `GET /v1/users/{id}` → 200 user or 404, for the user themself or a holder of
/// `identity.user.read` (the route guard decides); honours `Consistency-Token`.
pub(crate) async fn get_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    consistency: Consistency,
) -> Result<Json<UserBody>, ApiError> {
    let id = Uuid::parse_str(&id)
        .map_err(|_| ApiError::Validation(vec![FieldError::new("id", "must be a UUID")]))?;
    read_user(&state, &consistency, &caller.tenant, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no user {id}")))
}

/// Reads a user from the view, first waiting for the write a `Consistency-Token` names.
async fn read_user(
    state: &AppState,
    consistency: &Consistency,
    tenant: &TenantId,
    id: Uuid,
) -> Result<Option<Json<UserBody>>, ApiError> {
    consistency
        .wait_for(tenant, USERS_VIEW, &["identity.user"])
        .await?;
    let tenant = tenant.as_str();
    let client = state
        .read_pool
        .get()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let user = plinth_projections_users::get_user(&client, tenant, id)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    Ok(user.map(|u| Json(u.into())))
}

/// `GET /v1/users/me`: the caller's own profile; honours `Consistency-Token`.
pub(crate) async fn me(
    State(state): State<AppState>,
    caller: Caller,
    consistency: Consistency,
) -> Result<Json<UserBody>, ApiError> {
    read_user(&state, &consistency, &caller.tenant, caller.user_id)
        .await?
        .ok_or_else(|| {
            ApiError::NotFound("the signed-in user is not in the directory (yet)".into())
        })
}

/// `PATCH /v1/users/me {display_name}` → 200 `{id, display_name, consistency_token}`.
pub(crate) async fn update_me(
    State(state): State<AppState>,
    caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    body: crate::json::JsonObject,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let mut errors = Vec::new();
    let display_name = body.parsed(
        "display_name",
        plinth_domain_identity::DisplayName::parse,
        &mut errors,
    );
    let Some(display_name) = display_name else {
        return Err(ApiError::Validation(errors));
    };
    let metadata = caller.acting(metadata);
    let token = state
        .identity
        .change_display_name(
            plinth_domain_identity::UserId(caller.user_id),
            display_name.clone(),
            metadata,
        )
        .await
        .map_err(crate::routes::auth::identity_error)?;
    Ok(Written {
        status: http::StatusCode::OK,
        token,
        body: serde_json::json!({
            "id": caller.user_id,
            "display_name": display_name.as_str(),
        }),
    }
    .into_response())
}
