//! Single-use tokens sent by mail: e-mail verification and password reset. The aggregate only
//! ever sees a token's hash; a newer token replaces the older one, and a used one is gone.

use chrono::{DateTime, Utc};

use super::{Registered, UserError};
use crate::services::UserServices;
use crate::{
    EmailVerificationIssued, EmailVerified, IssueToken, PasswordReset, PasswordResetIssued,
    PasswordResetRequested, RedeemToken, ResetPassword, UserEvent,
};

/// The shortest interval between two password-reset mails to one account.
pub(crate) const RESET_REQUEST_INTERVAL: chrono::TimeDelta = chrono::TimeDelta::minutes(1);

impl Registered {
    pub(super) fn issue_verification(
        &self,
        cmd: IssueToken,
        at: DateTime<Utc>,
    ) -> Result<UserEvent, UserError> {
        if self.email_verified {
            return Err(UserError::AlreadyVerified);
        }
        Ok(UserEvent::EmailVerificationIssued(
            EmailVerificationIssued {
                user_id: self.user_id,
                tenant_id: self.tenant_id.clone(),
                token: cmd.token,
                at,
            },
        ))
    }

    pub(super) fn verify_email(
        &self,
        cmd: &RedeemToken,
        at: DateTime<Utc>,
    ) -> Result<UserEvent, UserError> {
        let valid = self
            .verification
            .as_ref()
            .is_some_and(|token| token.accepts(&cmd.hash, at));
        if !valid {
            return Err(UserError::InvalidToken);
        }
        Ok(UserEvent::EmailVerified(EmailVerified {
            user_id: self.user_id,
            tenant_id: self.tenant_id.clone(),
            email: self.email.clone(),
            at,
        }))
    }

    /// A reset request, unless one was made less than [`RESET_REQUEST_INTERVAL`] ago: a flood
    /// of requests sends one mail a minute at most, and the caller cannot tell.
    pub(super) fn request_reset(&self, at: DateTime<Utc>) -> Option<UserEvent> {
        if self
            .reset_requested_at
            .is_some_and(|last| at - last < RESET_REQUEST_INTERVAL)
        {
            return None;
        }
        Some(UserEvent::PasswordResetRequested(PasswordResetRequested {
            user_id: self.user_id,
            tenant_id: self.tenant_id.clone(),
            at,
        }))
    }

    pub(super) fn issue_reset(&self, cmd: IssueToken, at: DateTime<Utc>) -> UserEvent {
        UserEvent::PasswordResetIssued(PasswordResetIssued {
            user_id: self.user_id,
            tenant_id: self.tenant_id.clone(),
            token: cmd.token,
            at,
        })
    }

    pub(super) async fn reset_password(
        &self,
        cmd: ResetPassword,
        services: &UserServices,
        at: DateTime<Utc>,
    ) -> Result<UserEvent, UserError> {
        let valid = self
            .reset
            .as_ref()
            .is_some_and(|token| token.accepts(&cmd.hash, at));
        if !valid {
            return Err(UserError::InvalidToken);
        }
        Ok(UserEvent::PasswordReset(PasswordReset {
            user_id: self.user_id,
            tenant_id: self.tenant_id.clone(),
            password_hash: services.hasher.hash(&cmd.new_password).await?,
            at,
        }))
    }
}
