//! [`Authenticator`]: the identity module's answer to the gateway's `Authenticate` port. An
//! access token is verified (signature, expiry, issuer, audience: [`TokenService::verify`]),
//! and then the session must not have ended and the account must be enabled, according to the
//! `sessions_v1` and `users_v1` views.
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

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use plinth_domain_core::TenantId;
use plinth_infra_edge::{ApiError, Authenticate, Caller};
use plinth_infra_postgres::Pool;
use plinth_projections_sessions::SessionView;
use plinth_projections_users::Access;
use uuid::Uuid;

use crate::{TokenError, TokenService};

/// How long an ambiguous session may wait for the sessions view to date it.
const DATING_WAIT: Duration = Duration::from_secs(2);

/// Verifies access tokens, their sessions and their accounts.
pub struct Authenticator {
    pub(crate) tokens: Arc<TokenService>,
    /// The users and sessions views.
    pub(crate) read: Pool,
}

#[async_trait]
impl Authenticate for Authenticator {
    async fn authenticate(&self, token: &str) -> Result<Caller, ApiError> {
        let claims = self
            .tokens
            .verify(token.trim())
            .await
            .map_err(|e| match e {
                TokenError::Invalid(reason) => ApiError::Unauthorized(reason),
                other => ApiError::Unavailable(other.to_string()),
            })?;
        let user_id = Uuid::parse_str(&claims.sub)
            .map_err(|_| ApiError::Unauthorized("sub is not a user id".into()))?;
        let session_id = Uuid::parse_str(&claims.sid)
            .map_err(|_| ApiError::Unauthorized("sid is not a session id".into()))?;
        let tenant = TenantId::parse(&claims.tenant)
            .map_err(|_| ApiError::Unauthorized("tenant claim is invalid".into()))?;
        self.check(&tenant, user_id, session_id, claims.iat).await?;
        Ok(Caller {
            user_id,
            tenant,
            session_id,
        })
    }
}

impl Authenticator {
    /// Refuses an ended session or a disabled account.
    async fn check(
        &self,
        tenant: &TenantId,
        user: Uuid,
        session: Uuid,
        issued_at: i64,
    ) -> Result<(), ApiError> {
        let (mut session_view, access) = self.views(tenant, user, session).await?;
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
            session_view = self.dated(tenant, session).await?;
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

    /// The session and the account as the views hold them.
    async fn views(
        &self,
        tenant: &TenantId,
        user: Uuid,
        session: Uuid,
    ) -> Result<(Option<SessionView>, Option<Access>), ApiError> {
        let client = self.read.get().await.map_err(unavailable)?;
        tokio::try_join!(
            plinth_projections_sessions::get_session(&client, tenant.as_str(), session),
            plinth_projections_users::access(&client, tenant.as_str(), user),
        )
        .map_err(unavailable)
    }

    /// Waits (at most [`DATING_WAIT`]) for the sessions view to see `session`.
    async fn dated(
        &self,
        tenant: &TenantId,
        session: Uuid,
    ) -> Result<Option<SessionView>, ApiError> {
        let deadline = tokio::time::Instant::now() + DATING_WAIT;
        loop {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let client = self.read.get().await.map_err(unavailable)?;
            let view = plinth_projections_sessions::get_session(&client, tenant.as_str(), session)
                .await
                .map_err(unavailable)?;
            if view.is_some() || tokio::time::Instant::now() >= deadline {
                return Ok(view);
            }
        }
    }
}

fn unavailable(e: impl std::fmt::Display) -> ApiError {
    ApiError::Unavailable(format!("the users and sessions views: {e}"))
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
