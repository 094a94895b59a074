//! `GET /v1/auth/sessions` and `DELETE /v1/auth/sessions/{id}`: the caller's own sessions.

use axum::Json;
use axum::extract::{Path, State};
use http::StatusCode;
use plinth_domain_core::CommandMetadata;
use plinth_domain_identity::UserId;
use plinth_domain_identity::session::RevocationReason;
use plinth_projections_sessions::{NAME as SESSIONS_VIEW, SessionView};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::consistency::wait_for_view;
use crate::routes::auth::identity_error;
use crate::{ApiError, AppState};
use plinth_infra_edge::FieldError;
use plinth_infra_edge::{Caller, RequestMetadata};

fn rfc3339(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn session_body(s: &SessionView, current: Uuid, idle: chrono::TimeDelta) -> Value {
    json!({
        "id": s.id,
        "current": s.id == current,
        "started_at": rfc3339(s.started_at),
        "last_refreshed_at": s.last_refreshed_at.map(rfc3339),
        "expires_at": rfc3339(s.expires_at),
        "idle_expires_at": rfc3339(s.last_refreshed_at.unwrap_or(s.started_at) + idle),
    })
}

/// `GET /v1/auth/sessions` → `{sessions: [...]}`: the caller's sessions that still work.
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    let client = state
        .read_pool
        .get()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let sessions = plinth_projections_sessions::list_sessions(
        &client,
        caller.tenant.as_str(),
        caller.user_id,
        state.session_idle,
    )
    .await
    .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let idle = chrono::TimeDelta::from_std(state.session_idle).unwrap_or(chrono::TimeDelta::MAX);
    let body: Vec<Value> = sessions
        .iter()
        .map(|s| session_body(s, caller.session_id, idle))
        .collect();
    Ok(Json(json!({ "sessions": body })))
}

/// `DELETE /v1/auth/sessions/{id}` → 204: ends one of the caller's sessions (another
/// user's is "not found").
pub(crate) async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = Uuid::parse_str(&id)
        .map_err(|_| ApiError::Validation(vec![FieldError::new("id", "must be a UUID")]))?;
    end_session(&state, &caller, id, RevocationReason::Revoked, metadata).await
}

/// Ends `session` of the caller and waits until the session view knows, so that its access
/// tokens are refused from the next request on.
pub(crate) async fn end_session(
    state: &AppState,
    caller: &Caller,
    session: Uuid,
    reason: RevocationReason,
    metadata: CommandMetadata,
) -> Result<StatusCode, ApiError> {
    let token = state
        .identity
        .revoke_session(
            UserId(caller.user_id),
            session,
            reason,
            caller.acting(metadata),
        )
        .await
        .map_err(|e| match e {
            plinth_services_identity::IdentityError::NotFound => {
                ApiError::NotFound(format!("no session {session}"))
            }
            other => identity_error(other),
        })?;
    wait_for_view(state, SESSIONS_VIEW, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}
