use axum::Json;
use axum::extract::{Path, State};
use http::HeaderMap;
use plinth_infra_event_store::ConsistencyToken;
use plinth_projections_users::{NAME as USERS_VIEW, UserView};
use serde::Serialize;
use uuid::Uuid;

use crate::context::Caller;
use crate::problem::FieldError;
use crate::{ApiError, AppState};

/// Request header: wait until the view reflects this write before reading.
pub(crate) const CONSISTENCY_TOKEN_HEADER: &str = "consistency-token";

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
    headers: HeaderMap,
) -> Result<Json<UserBody>, ApiError> {
    let id = Uuid::parse_str(&id)
        .map_err(|_| ApiError::Validation(vec![FieldError::new("id", "must be a UUID")]))?;
    read_user(&state, &headers, caller.tenant.as_str(), id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no user {id}")))
}

/// Reads a user from the view, first waiting for the write a `Consistency-Token` names.
async fn read_user(
    state: &AppState,
    headers: &HeaderMap,
    tenant: &str,
    id: Uuid,
) -> Result<Option<Json<UserBody>>, ApiError> {
    if let Some(token) = consistency_token(state, headers, tenant).await? {
        wait_for_view(state, USERS_VIEW, &token).await?;
    }
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

/// The request's `Consistency-Token`, if it names a write committed in `tenant`. Any other
/// token (made up, of another tenant, or ahead of the store) is refused at once, the same way
/// whatever it names: it could never be waited out, and waiting would tell its sender how far
/// another tenant's aggregates have got.
pub(crate) async fn consistency_token(
    state: &AppState,
    headers: &HeaderMap,
    tenant: &str,
) -> Result<Option<ConsistencyToken>, ApiError> {
    let Some(value) = headers.get(CONSISTENCY_TOKEN_HEADER) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::BadHeader("Consistency-Token must be ASCII".into()))?;
    let token: ConsistencyToken = text
        .parse()
        .map_err(|e| ApiError::BadHeader(format!("Consistency-Token: {e}")))?;
    let client = state
        .read_pool
        .get()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    if plinth_infra_event_store::names_committed_write(&client, &token, tenant)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?
    {
        Ok(Some(token))
    } else {
        Err(ApiError::BadHeader(
            "Consistency-Token names no write committed in this tenant".into(),
        ))
    }
}

/// Waits (bounded) until `view` has applied the write named by `token`.
pub(crate) async fn wait_for_view(
    state: &AppState,
    view: &str,
    token: &ConsistencyToken,
) -> Result<(), ApiError> {
    let caught_up = plinth_projections_runtime::wait_for(
        &state.read_pool,
        view,
        &token.aggregate_type,
        &token.aggregate_id,
        token.sequence,
        state.consistency_wait,
    )
    .await
    .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    if caught_up {
        Ok(())
    } else {
        Err(ApiError::NotYetConsistent)
    }
}

/// `GET /v1/users/me`: the caller's own profile; honours `Consistency-Token`.
pub(crate) async fn me(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Json<UserBody>, ApiError> {
    read_user(&state, &headers, caller.tenant.as_str(), caller.user_id)
        .await?
        .ok_or_else(|| {
            ApiError::NotFound("the signed-in user is not in the directory (yet)".into())
        })
}

/// `PATCH /v1/users/me {display_name}` → 200 `{id, display_name, consistency_token}`.
pub(crate) async fn update_me(
    State(state): State<AppState>,
    caller: Caller,
    crate::context::RequestMetadata(metadata): crate::context::RequestMetadata,
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
    let token = token.to_string();
    let mut response = Json(serde_json::json!({
        "id": caller.user_id,
        "display_name": display_name.as_str(),
        "consistency_token": token,
    }))
    .into_response();
    if let Ok(value) = http::HeaderValue::from_str(&token) {
        response
            .headers_mut()
            .insert(CONSISTENCY_TOKEN_HEADER, value);
    }
    Ok(response)
}
