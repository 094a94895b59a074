//! The `User` aggregate: an account's whole life, from registration to lockout, verification,
//! password reset and administration. `login.rs` holds the lockout rules, `tokens.rs` the
//! single-use tokens (e-mail verification, password reset).

mod login;
mod tokens;

use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use plinth_domain_core::TenantId;
use serde::{Deserialize, Serialize};

use chrono::{DateTime, Utc};

use crate::services::{HashingError, UserServices};
use crate::{
    AdministratorBootstrapped, DisplayName, DisplayNameChanged, Email, OneTimeToken,
    PasswordChanged, PasswordHash, RegisterUser, UserCommand, UserDisabled, UserEnabled, UserEvent,
    UserId, UserRegistered,
};

/// A user account. `None` means "not registered yet".
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct User {
    registered: Option<Registered>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Registered {
    user_id: UserId,
    tenant_id: TenantId,
    email: Email,
    display_name: DisplayName,
    password_hash: PasswordHash,
    /// Failed logins in a row since the last success or lock.
    failures: u32,
    locked_until: Option<DateTime<Utc>>,
    email_verified: bool,
    verification: Option<OneTimeToken>,
    reset: Option<OneTimeToken>,
    disabled: bool,
    administrator: bool,
    /// Sessions started before this instant no longer work (set by a reset, a password change
    /// or a disable)…
    sessions_not_before: Option<DateTime<Utc>>,
    /// …except this one, which changed the password.
    #[serde(default)]
    session_kept: Option<uuid::Uuid>,
    /// The last password-reset request, to throttle reset mail.
    #[serde(default)]
    reset_requested_at: Option<DateTime<Utc>>,
}

/// Why a user command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    #[error("this user is already registered")]
    AlreadyRegistered,
    #[error("no such user")]
    NotRegistered,
    #[error("the account is locked until {until}")]
    Locked { until: DateTime<Utc> },
    #[error("the account is disabled")]
    Disabled,
    #[error("the password was replaced while the login was being checked")]
    PasswordReplaced,
    #[error("the e-mail address is already verified")]
    AlreadyVerified,
    #[error("the token is invalid, expired or already used")]
    InvalidToken,
    #[error(transparent)]
    Hashing(#[from] HashingError),
}

impl Aggregate for User {
    const TYPE: &'static str = "identity.user";
    type Command = UserCommand;
    type Event = UserEvent;
    type Error = UserError;
    type Services = UserServices;

    async fn handle(
        &mut self,
        command: Self::Command,
        services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        if let UserCommand::Register(cmd) = command {
            return self.register(cmd, services, sink).await;
        }
        let user = self.registered.as_ref().ok_or(UserError::NotRegistered)?;
        let (user_id, tenant_id, at) = (user.user_id, user.tenant_id.clone(), services.clock.now());
        let event = match command {
            UserCommand::Register(_) => unreachable!("handled above"),
            UserCommand::RecordLogin(cmd) => return self.record_login(cmd, services, sink).await,
            UserCommand::IssueEmailVerification(cmd) => user.issue_verification(cmd, at)?,
            UserCommand::VerifyEmail(cmd) => user.verify_email(&cmd, at)?,
            UserCommand::RequestPasswordReset => match user.request_reset(at) {
                Some(event) => event,
                None => return Ok(()),
            },
            UserCommand::IssuePasswordReset(cmd) => user.issue_reset(cmd, at),
            UserCommand::ResetPassword(cmd) => user.reset_password(cmd, services, at).await?,
            UserCommand::ChangePassword(cmd) => {
                // As for a login: concurrent guesses may have locked the account, or a reset
                // replaced the password, since the current one was checked.
                if let Some(until) = user.locked_until.filter(|until| *until > at) {
                    return Err(UserError::Locked { until });
                }
                if user.password_hash != cmd.checked_against {
                    return Err(UserError::PasswordReplaced);
                }
                UserEvent::PasswordChanged(PasswordChanged {
                    user_id,
                    tenant_id,
                    password_hash: services.hasher.hash(&cmd.new_password).await?,
                    at,
                    kept_session: cmd.keep_session,
                })
            }
            UserCommand::ChangeDisplayName(cmd) => {
                if user.display_name == cmd.display_name {
                    return Ok(());
                }
                UserEvent::DisplayNameChanged(DisplayNameChanged {
                    user_id,
                    tenant_id,
                    display_name: cmd.display_name,
                    at,
                })
            }
            UserCommand::Disable if user.disabled => return Ok(()),
            UserCommand::Disable => UserEvent::UserDisabled(UserDisabled {
                user_id,
                tenant_id,
                at,
            }),
            UserCommand::Enable if !user.disabled => return Ok(()),
            UserCommand::Enable => UserEvent::UserEnabled(UserEnabled {
                user_id,
                tenant_id,
                at,
            }),
            UserCommand::BootstrapAdministrator if user.administrator => return Ok(()),
            UserCommand::BootstrapAdministrator => {
                UserEvent::AdministratorBootstrapped(AdministratorBootstrapped {
                    user_id,
                    tenant_id,
                    at,
                })
            }
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        if let UserEvent::UserRegistered(e) = event {
            self.registered = Some(Registered {
                user_id: e.user_id,
                tenant_id: e.tenant_id,
                email: e.email,
                display_name: e.display_name,
                password_hash: e.password_hash,
                failures: 0,
                locked_until: None,
                email_verified: false,
                verification: None,
                reset: None,
                disabled: false,
                administrator: false,
                sessions_not_before: None,
                session_kept: None,
                reset_requested_at: None,
            });
            return;
        }
        let Some(user) = &mut self.registered else {
            return;
        };
        match event {
            UserEvent::UserRegistered(_) => {}
            UserEvent::PasswordResetRequested(e) => user.reset_requested_at = Some(e.at),
            UserEvent::LoginSucceeded(_) => {
                user.failures = 0;
                user.locked_until = None;
            }
            UserEvent::LoginFailed(e) => user.failures = e.consecutive_failures,
            UserEvent::AccountLocked(e) => {
                user.failures = 0;
                user.locked_until = Some(e.until);
            }
            UserEvent::DisplayNameChanged(e) => user.display_name = e.display_name,
            UserEvent::PasswordChanged(e) => {
                user.password_hash = e.password_hash;
                user.sessions_not_before = Some(e.at);
                user.session_kept = e.kept_session;
            }
            UserEvent::EmailVerificationIssued(e) => user.verification = Some(e.token),
            UserEvent::EmailVerified(_) => {
                user.email_verified = true;
                user.verification = None;
            }
            UserEvent::PasswordResetIssued(e) => user.reset = Some(e.token),
            UserEvent::PasswordReset(e) => {
                user.password_hash = e.password_hash;
                user.reset = None;
                user.failures = 0;
                user.locked_until = None;
                user.email_verified = true;
                user.verification = None;
                user.sessions_not_before = Some(e.at);
                user.session_kept = None;
            }
            UserEvent::UserDisabled(e) => {
                user.disabled = true;
                user.sessions_not_before = Some(e.at);
                user.session_kept = None;
            }
            UserEvent::UserEnabled(_) => user.disabled = false,
            UserEvent::AdministratorBootstrapped(_) => user.administrator = true,
        }
    }
}

impl User {
    async fn register(
        &mut self,
        cmd: RegisterUser,
        services: &UserServices,
        sink: &EventSink<Self>,
    ) -> Result<(), UserError> {
        if self.registered.is_some() {
            return Err(UserError::AlreadyRegistered);
        }
        let password_hash = services.hasher.hash(&cmd.password).await?;
        let registered_at = services.clock.now();
        let event = UserRegistered {
            user_id: cmd.user_id,
            tenant_id: cmd.tenant_id.clone(),
            email: cmd.email,
            display_name: cmd.display_name,
            password_hash,
            registered_at,
        };
        sink.write(UserEvent::UserRegistered(event), self).await;
        if cmd.administrator {
            let event = AdministratorBootstrapped {
                user_id: cmd.user_id,
                tenant_id: cmd.tenant_id,
                at: registered_at,
            };
            sink.write(UserEvent::AdministratorBootstrapped(event), self)
                .await;
        }
        Ok(())
    }

    fn state(&self) -> Option<&Registered> {
        self.registered.as_ref()
    }

    /// The e-mail address, once registered.
    pub fn email(&self) -> Option<&Email> {
        self.state().map(|r| &r.email)
    }

    /// The name shown for the user, once registered.
    pub fn display_name(&self) -> Option<&DisplayName> {
        self.state().map(|r| &r.display_name)
    }

    /// The tenant the user belongs to, once registered.
    pub fn tenant_id(&self) -> Option<&TenantId> {
        self.state().map(|r| &r.tenant_id)
    }

    /// The stored password hash, once registered.
    pub fn password_hash(&self) -> Option<&PasswordHash> {
        self.state().map(|r| &r.password_hash)
    }

    /// Whether the address has been verified.
    pub fn email_verified(&self) -> bool {
        self.state().is_some_and(|r| r.email_verified)
    }

    /// Until when the account is locked, if it is at `now`.
    pub fn locked_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.state()
            .and_then(|r| r.locked_until)
            .filter(|until| *until > now)
    }

    /// Whether `presented` is the account's current password-reset token, unexpired at `now`
    /// (checked before anything else about a reset, so an invalid token reveals nothing).
    pub fn accepts_reset_token(&self, presented: &crate::TokenHash, now: DateTime<Utc>) -> bool {
        self.state()
            .and_then(|r| r.reset.as_ref())
            .is_some_and(|token| token.accepts(presented, now))
    }

    /// Whether an administrator disabled the account.
    pub fn disabled(&self) -> bool {
        self.state().is_some_and(|r| r.disabled)
    }

    /// Whether the user is the tenant's bootstrap administrator.
    pub fn administrator(&self) -> bool {
        self.state().is_some_and(|r| r.administrator)
    }

    /// Whether `session`, started at `started_at`, may still be used: the account is enabled
    /// and no reset, password change (but the one it made) or disable happened since.
    pub fn accepts_session(&self, session: uuid::Uuid, started_at: DateTime<Utc>) -> bool {
        self.state().is_some_and(|r| {
            !r.disabled
                && (r
                    .sessions_not_before
                    .is_none_or(|cutoff| started_at >= cutoff)
                    || r.session_kept == Some(session))
        })
    }
}

#[cfg(test)]
mod tests;
