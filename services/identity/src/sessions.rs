//! Refresh-token rotation with reuse detection, and revocation.

use plinth_domain_core::ConsistencyToken;
use plinth_domain_core::{Actor, CommandMetadata};
use plinth_domain_identity::UserId;
use plinth_domain_identity::session::{
    RefreshSession, RevocationReason, RevokeSession, SessionCommand, SessionError,
};
use plinth_infra_event_store::CommandError;
use tracing::{info, warn};
use uuid::Uuid;

use crate::secrets;
use crate::service::{IdentityService, command_error, session_error};
use plinth_services_identity_api::{IdentityError, SignedIn};

impl IdentityService {
    /// Rotates `refresh_token`. The session must belong to the metadata's tenant, its user must
    /// still accept it (not disabled, no reset since it started), and the token must be the
    /// current one: a rotated one ends the session (its family may be in a thief's hands).
    #[tracing::instrument(skip_all, fields(tenant = %metadata.tenant_id))]
    pub(crate) async fn rotate(
        &self,
        refresh_token: &str,
        metadata: CommandMetadata,
    ) -> Result<SignedIn, IdentityError> {
        let (session_id, presented) =
            secrets::parse(refresh_token).ok_or(IdentityError::InvalidToken)?;
        let aggregate_id = session_id.to_string();
        let session = self
            .sessions
            .load(&aggregate_id)
            .await
            .map_err(session_error)?;
        let (Some((user_id, tenant)), Some(started_at)) = (session.owner(), session.started_at())
        else {
            return Err(IdentityError::InvalidToken);
        };
        if *tenant != metadata.tenant_id {
            return Err(IdentityError::InvalidToken);
        }
        let metadata = metadata.with_actor(Actor::User(user_id.0));
        let user = self
            .users
            .load(&user_id.to_string())
            .await
            .map_err(command_error)?;
        if !user.accepts_session(session_id, started_at) {
            return Err(IdentityError::InvalidToken);
        }
        let next = secrets::generate(session_id);
        let command = SessionCommand::Refresh(RefreshSession {
            presented,
            next: next.hash,
        });
        match self
            .sessions
            .execute(&aggregate_id, command, &metadata)
            .await
        {
            Ok(_) => {}
            Err(CommandError::Rejected(SessionError::TokenReused)) => {
                warn!(session_id = %session_id, user_id = %user_id, "A rotated refresh token was presented again; ending the session.");
                let revoke = SessionCommand::Revoke(RevokeSession {
                    reason: RevocationReason::RefreshTokenReused,
                });
                self.sessions
                    .execute(&aggregate_id, revoke, &metadata)
                    .await
                    .map_err(session_error)?;
                return Err(IdentityError::InvalidToken);
            }
            Err(e) => return Err(session_error(e)),
        }
        let left = session
            .expires_at()
            .map_or(0, |at| (at - chrono::Utc::now()).num_seconds().max(0));
        let left = u64::try_from(left).unwrap_or(0);
        Ok(SignedIn {
            user_id,
            session_id,
            refresh_token: next.token,
            refresh_expires_in: left.min(self.lifetimes.session_idle.as_secs()),
        })
    }

    /// Ends `session` if it belongs to `user`; someone else's session is "not found".
    #[tracing::instrument(skip_all, fields(user_id = %user, session_id = %session))]
    pub(crate) async fn revoke(
        &self,
        user: UserId,
        session: Uuid,
        reason: RevocationReason,
        metadata: CommandMetadata,
    ) -> Result<ConsistencyToken, IdentityError> {
        let aggregate_id = session.to_string();
        let state = self
            .sessions
            .load(&aggregate_id)
            .await
            .map_err(session_error)?;
        match state.owner() {
            Some((owner, tenant)) if owner == user && *tenant == metadata.tenant_id => {}
            _ => return Err(IdentityError::NotFound),
        }
        let committed = self
            .sessions
            .execute(
                &aggregate_id,
                SessionCommand::Revoke(RevokeSession { reason }),
                &metadata,
            )
            .await
            .map_err(session_error)?;
        info!(reason = reason.as_str(), "Session revoked.");
        Ok(committed.token)
    }
}
