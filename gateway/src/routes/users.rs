use axum::Json;
use axum::extract::{Path, State};
use http::HeaderMap;
use plinth_infra_event_store::ConsistencyToken;
use plinth_projections_users::{NAME as USERS_VIEW, UserView};
use serde::Serialize;
use uuid::Uuid;

use crate::context::{Caller, Tenant};
use crate::problem::FieldError;
use crate::{ApiError, AppState};

/// Request header: wait until the view reflects this write before reading.
pub(crate) const CONSISTENCY_TOKEN_HEADER: &str = "consistency-token";

#[derive(Serialize)]
pub(crate) struct UserBody {
    id: Uuid,
    email: String,
    display_name: String,
    created_at: String,
    version: i64,
}

impl From<UserView> for UserBody {
    fn from(u: UserView) -> Self {
        Self {
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            created_at: u
                .created_at
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            version: u.version,
        }
    }
}

/// `GET /v1/users/{id}` → 200 user or 404; honours `Consistency-Token`.
pub(crate) async fn get_user(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<UserBody>, ApiError> {
    let id = Uuid::parse_str(&id)
        .map_err(|_| ApiError::Validation(vec![FieldError::new("id", "must be a UUID")]))?;
    if let Some(token) = consistency_token(&headers)? {
        wait_for_view(&state, USERS_VIEW, &token).await?;
    }
    let client = state
        .read_pool
        .get()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let user = plinth_projections_users::get_user(&client, tenant.as_str(), id)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    user.map(|u| Json(u.into()))
        .ok_or_else(|| ApiError::NotFound(format!("no user {id}")))
}

fn consistency_token(headers: &HeaderMap) -> Result<Option<ConsistencyToken>, ApiError> {
    let Some(value) = headers.get(CONSISTENCY_TOKEN_HEADER) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::BadHeader("Consistency-Token must be ASCII".into()))?;
    text.parse()
        .map(Some)
        .map_err(|e| ApiError::BadHeader(format!("Consistency-Token: {e}")))
}

/// Waits (bounded) until `view` has applied the write named by `token`.
async fn wait_for_view(
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

/// `GET /v1/users/me`: the caller's own profile.
pub(crate) async fn me(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<UserBody>, ApiError> {
    let client = state
        .read_pool
        .get()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let user = plinth_projections_users::get_user(&client, caller.tenant.as_str(), caller.user_id)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    user.map(|u| Json(u.into())).ok_or_else(|| {
        ApiError::NotFound("the signed-in user is not in the directory (yet)".into())
    })
}
