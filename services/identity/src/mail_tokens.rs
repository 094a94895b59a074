//! Single-use tokens sent by mail: the worker issues them (`issue_mail_token`), users redeem
//! them (e-mail verification, password reset). Reset requests never reveal whether an
//! address has an account.

use plinth_domain_core::CommandMetadata;
use plinth_domain_core::ConsistencyToken;
use plinth_domain_identity::{
    IssueToken, OneTimeToken, PasswordPolicy, RedeemToken, ResetPassword, UserCommand, UserError,
    UserId,
};
use plinth_infra_event_store::CommandError;
use std::sync::Arc;

use tracing::{Instrument, info, warn};

use crate::secrets;
use crate::service::{IdentityService, command_error};
use plinth_services_identity_api::IdentityError;

/// What a mailed token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailPurpose {
    VerifyEmail,
    ResetPassword,
}

/// A token to put in an e-mail, with what the mail needs to say.
#[derive(Debug, Clone)]
pub struct MailToken {
    pub token: String,
    pub email: String,
    pub display_name: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

impl IdentityService {
    /// Generates a token for `purpose`, records its hash on the user (replacing any earlier
    /// one), and returns it for mailing. `None`: nothing to send (the user is unknown, or the
    /// address is already verified).
    #[tracing::instrument(skip(self, metadata))]
    pub async fn issue_mail_token(
        &self,
        user: UserId,
        purpose: MailPurpose,
        metadata: &CommandMetadata,
    ) -> Result<Option<MailToken>, IdentityError> {
        let aggregate_id = user.to_string();
        let state = self
            .users
            .load(&aggregate_id)
            .await
            .map_err(command_error)?;
        let (Some(email), Some(name)) = (state.email(), state.display_name()) else {
            return Ok(None);
        };
        let lifetime = match purpose {
            MailPurpose::VerifyEmail => self.lifetimes.email_verification,
            MailPurpose::ResetPassword => self.lifetimes.password_reset,
        };
        let expires_at = chrono::Utc::now()
            + chrono::Duration::from_std(lifetime)
                .map_err(|e| IdentityError::Internal(e.to_string()))?;
        let secret = secrets::generate(user.0);
        let token = IssueToken {
            token: OneTimeToken {
                hash: secret.hash,
                expires_at,
            },
        };
        let command = match purpose {
            MailPurpose::VerifyEmail => UserCommand::IssueEmailVerification(token),
            MailPurpose::ResetPassword => UserCommand::IssuePasswordReset(token),
        };
        match self.users.execute(&aggregate_id, command, metadata).await {
            Ok(_) => {}
            Err(CommandError::Rejected(UserError::AlreadyVerified)) => return Ok(None),
            Err(e) => return Err(command_error(e)),
        }
        Ok(Some(MailToken {
            token: secret.token,
            email: email.as_str().to_owned(),
            display_name: name.as_str().to_owned(),
            expires_at,
        }))
    }

    #[tracing::instrument(skip_all, fields(tenant = %metadata.tenant_id))]
    pub(crate) async fn redeem_verification(
        &self,
        token: &str,
        metadata: CommandMetadata,
    ) -> Result<ConsistencyToken, IdentityError> {
        let (user, hash) = secrets::parse(token).ok_or(IdentityError::InvalidToken)?;
        let user = UserId(user);
        if self.user_in_tenant(user, &metadata).await?.is_none() {
            return Err(IdentityError::InvalidToken);
        }
        let committed = self
            .users
            .execute(
                &user.to_string(),
                UserCommand::VerifyEmail(RedeemToken { hash }),
                &metadata.with_actor(plinth_domain_core::Actor::User(user.0)),
            )
            .await
            .map_err(command_error)?;
        info!(user_id = %user, "E-mail address verified.");
        Ok(committed.token)
    }

    #[tracing::instrument(skip_all, fields(tenant = %metadata.tenant_id))]
    pub(crate) async fn ask_for_reset(
        &self,
        email: plinth_domain_identity::Email,
        metadata: CommandMetadata,
    ) -> Result<(), IdentityError> {
        let Some(user) = self.user_by_email(&email, &metadata).await? else {
            info!("Password reset asked for an address without an account; nothing sent.");
            return Ok(());
        };
        // Appended after answering, so that the answer takes as long for a real account as
        // for an unknown address (the lookup is the same for both). A flood beyond the bound
        // is dropped: one mail a minute per account is all it could send anyway.
        let users = Arc::clone(&self.users);
        let spawned = self.after_answer.spawn(
            async move {
                match users
                    .execute(&user.to_string(), UserCommand::RequestPasswordReset, &metadata)
                    .await
                {
                    Ok(committed) if committed.events > 0 => {
                        info!(user_id = %user, "Password reset requested.");
                    }
                    Ok(_) => info!(user_id = %user, "Password reset requested again within a minute; throttled."),
                    Err(e) => warn!(user_id = %user, error = %e, "Cannot record a password-reset request."),
                }
            }
            .in_current_span(),
        );
        if !spawned {
            warn!(user_id = %user, "Too many password-reset requests in flight; this one is dropped.");
        }
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(tenant = %metadata.tenant_id))]
    pub(crate) async fn redeem_reset(
        &self,
        token: &str,
        new: String,
        policy: PasswordPolicy,
        metadata: CommandMetadata,
    ) -> Result<ConsistencyToken, IdentityError> {
        let (user, hash) = secrets::parse(token).ok_or(IdentityError::InvalidToken)?;
        let user = UserId(user);
        let state = self
            .user_in_tenant(user, &metadata)
            .await?
            .ok_or(IdentityError::InvalidToken)?;
        // The token first: a forged one gets the same answer whatever the account and the
        // password, so it reveals neither whether the user exists nor their address.
        if !state.accepts_reset_token(&hash, chrono::Utc::now()) {
            return Err(IdentityError::InvalidToken);
        }
        let new_password = policy.parse(&new, state.email())?;
        let committed = self
            .users
            .execute(
                &user.to_string(),
                UserCommand::ResetPassword(ResetPassword { hash, new_password }),
                &metadata.with_actor(plinth_domain_core::Actor::User(user.0)),
            )
            .await
            .map_err(command_error)?;
        info!(user_id = %user, "Password reset; earlier sessions ended.");
        Ok(committed.token)
    }
}
