//! The check every authenticated request passes after its token verified: the session has not
//! ended and the account is enabled, according to the `sessions_v1` and `users_v1` views.
//!
//! The views only ever take access away: a session or user they have not seen yet (a login
//! a few milliseconds old) passes, since its token is signed and the write committed. Logout,
//! revocation and disabling wait for the views before they answer, so the next request is
//! refused.

use chrono::{DateTime, Utc};
use plinth_domain_core::TenantId;
use uuid::Uuid;

use crate::{ApiError, AppState};

/// Refuses an ended session or a disabled account.
pub(crate) async fn check(
    state: &AppState,
    tenant: &TenantId,
    user: Uuid,
    session: Uuid,
    issued_at: i64,
) -> Result<(), ApiError> {
    let client = state
        .read_pool
        .get()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let (session_view, access) = tokio::try_join!(
        plinth_projections_sessions::get_session(&client, tenant.as_str(), session),
        plinth_projections_users::access(&client, tenant.as_str(), user),
    )
    .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let started_at = match &session_view {
        Some(s) if s.user_id != user => {
            return Err(ApiError::Unauthorized(
                "the session belongs to another user".into(),
            ));
        }
        Some(s) if s.revoked_at.is_some() => {
            return Err(ApiError::Unauthorized("the session has ended".into()));
        }
        Some(s) if s.expires_at <= Utc::now() => {
            return Err(ApiError::Unauthorized("the session has expired".into()));
        }
        Some(s) => s.started_at,
        None => DateTime::from_timestamp(issued_at, 0).unwrap_or_default(),
    };
    let Some(access) = access else {
        return Ok(());
    };
    if access.disabled {
        return Err(ApiError::Unauthorized("the account is disabled".into()));
    }
    let before_cutoff = |cutoff: DateTime<Utc>| match &session_view {
        Some(_) => started_at < cutoff,
        // A token's iat has whole seconds only.
        None => started_at.timestamp() < cutoff.timestamp(),
    };
    if access.sessions_not_before.is_some_and(before_cutoff) {
        return Err(ApiError::Unauthorized(
            "the session started before a password reset or a disable".into(),
        ));
    }
    Ok(())
}
