//! The check every authenticated request passes after its token verified: the session has not
//! ended and the account is enabled, according to the `sessions_v1` and `users_v1` views.
//!
//! The views only ever take access away: a session or user they have not seen yet (a login
//! a few milliseconds old) passes, since its token is signed and the write committed. Logout,
//! revocation and disabling wait for the views before they answer, so the next request is
//! refused.
//!
//! A session the view has not seen is dated by its token's `iat`, which has whole seconds only.
//! When that second is the second of the account's cut (a reset, a password change or a
//! disable), the token alone cannot tell whether the session began before the cut: the check
//! waits (bounded) for the sessions view to date it exactly, and refuses if it cannot.

use std::time::Duration;

use chrono::{DateTime, Utc};
use plinth_domain_core::TenantId;
use plinth_projections_sessions::SessionView;
use plinth_projections_users::Access;
use uuid::Uuid;

use crate::{ApiError, AppState};

/// How long an ambiguous session may wait for the sessions view to date it.
const DATING_WAIT: Duration = Duration::from_secs(2);

/// Refuses an ended session or a disabled account.
pub(crate) async fn check(
    state: &AppState,
    tenant: &TenantId,
    user: Uuid,
    session: Uuid,
    issued_at: i64,
) -> Result<(), ApiError> {
    let (mut session_view, access) = read(state, tenant, user, session).await?;
    let Some(access) = access else {
        return session_verdict(session_view.as_ref(), user).map(drop);
    };
    if access.disabled {
        return Err(ApiError::Unauthorized("the account is disabled".into()));
    }
    let cut = access
        .sessions_not_before
        .filter(|_| access.session_kept != Some(session));
    if session_view.is_none()
        && let Some(cut) = cut
        && issued_at == cut.timestamp()
    {
        session_view = dated(state, tenant, session).await?;
    }
    let started_at = match session_verdict(session_view.as_ref(), user)? {
        Some(started_at) => started_at,
        None => DateTime::from_timestamp(issued_at, 0).unwrap_or_default(),
    };
    let ended_by_cut = cut.is_some_and(|cut| match &session_view {
        Some(_) => started_at < cut,
        // Undated in the cut's second: it may have begun before the cut, so it fails closed.
        None => started_at.timestamp() <= cut.timestamp(),
    });
    if ended_by_cut {
        return Err(ApiError::Unauthorized(
            "the session started before a password change, a reset or a disable".into(),
        ));
    }
    Ok(())
}

async fn read(
    state: &AppState,
    tenant: &TenantId,
    user: Uuid,
    session: Uuid,
) -> Result<(Option<SessionView>, Option<Access>), ApiError> {
    let client = state
        .read_pool
        .get()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    tokio::try_join!(
        plinth_projections_sessions::get_session(&client, tenant.as_str(), session),
        plinth_projections_users::access(&client, tenant.as_str(), user),
    )
    .map_err(|e| ApiError::Unavailable(e.to_string()))
}

/// The session as the view holds it: `Some(start)` for a live one of `user`, `None` when the
/// view has not seen it; an ended or foreign one is refused.
fn session_verdict(
    view: Option<&SessionView>,
    user: Uuid,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    match view {
        Some(s) if s.user_id != user => Err(ApiError::Unauthorized(
            "the session belongs to another user".into(),
        )),
        Some(s) if s.revoked_at.is_some() => {
            Err(ApiError::Unauthorized("the session has ended".into()))
        }
        Some(s) if s.expires_at <= Utc::now() => {
            Err(ApiError::Unauthorized("the session has expired".into()))
        }
        Some(s) => Ok(Some(s.started_at)),
        None => Ok(None),
    }
}

/// Waits (at most [`DATING_WAIT`]) for the sessions view to see `session`.
async fn dated(
    state: &AppState,
    tenant: &TenantId,
    session: Uuid,
) -> Result<Option<SessionView>, ApiError> {
    let deadline = tokio::time::Instant::now() + DATING_WAIT;
    loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let client = state
            .read_pool
            .get()
            .await
            .map_err(|e| ApiError::Unavailable(e.to_string()))?;
        let view = plinth_projections_sessions::get_session(&client, tenant.as_str(), session)
            .await
            .map_err(|e| ApiError::Unavailable(e.to_string()))?;
        if view.is_some() || tokio::time::Instant::now() >= deadline {
            return Ok(view);
        }
    }
}
