use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use plinth_domain_core::{TenantId, UniqueClaim, UniqueClaims};
use serde::{Deserialize, Serialize};

use crate::{DisplayName, Email, OneTimeToken, PasswordHash, UserId};

/// The scope of the claim that makes an e-mail address unique within a tenant.
pub const EMAIL_CLAIM_SCOPE: &str = "identity.user.email";

/// What happened to a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserEvent {
    UserRegistered(UserRegistered),
    LoginSucceeded(LoginSucceeded),
    LoginFailed(LoginFailed),
    AccountLocked(AccountLocked),
    DisplayNameChanged(DisplayNameChanged),
    PasswordChanged(PasswordChanged),
    EmailVerificationIssued(EmailVerificationIssued),
    EmailVerified(EmailVerified),
    PasswordResetRequested(PasswordResetRequested),
    PasswordResetIssued(PasswordResetIssued),
    PasswordReset(PasswordReset),
    UserDisabled(UserDisabled),
    UserEnabled(UserEnabled),
    AdministratorBootstrapped(AdministratorBootstrapped),
}

/// The scope of the claim that lets only one bootstrap administrator exist per tenant.
pub const BOOTSTRAP_ADMIN_CLAIM_SCOPE: &str = "identity.bootstrap-admin";

/// An account was created. The password is stored only as its argon2id hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRegistered {
    pub user_id: UserId,
    pub tenant_id: TenantId,
    pub email: Email,
    pub display_name: DisplayName,
    pub password_hash: PasswordHash,
    pub registered_at: DateTime<Utc>,
}

/// The right password was given; consecutive failures start again from zero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginSucceeded {
    pub user_id: UserId,
    pub tenant_id: TenantId,
    pub at: DateTime<Utc>,
}

/// A wrong password was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginFailed {
    pub user_id: UserId,
    pub tenant_id: TenantId,
    pub at: DateTime<Utc>,
    /// Failures in a row, this one included.
    pub consecutive_failures: u32,
}

/// Too many failures in a row: logins are refused until `until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountLocked {
    pub user_id: UserId,
    pub tenant_id: TenantId,
    pub at: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// The user's display name changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisplayNameChanged {
    pub user_id: UserId,
    pub tenant_id: TenantId,
    pub display_name: DisplayName,
    pub at: DateTime<Utc>,
}

/// The password was replaced; only its hash is stored, and the hash is never published. Every
/// session started before `at` ended, except `kept_session` (the one that changed it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChanged {
    pub user_id: UserId,
    pub tenant_id: TenantId,
    pub password_hash: PasswordHash,
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub kept_session: Option<uuid::Uuid>,
}

/// A verification token was sent for the address; only its hash is kept. A newer token replaces
/// an older one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailVerificationIssued {
    pub user_id: UserId,
    pub tenant_id: TenantId,
    pub token: OneTimeToken,
    pub at: DateTime<Utc>,
}

/// The user proved they receive mail at the address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailVerified {
    pub user_id: UserId,
    pub tenant_id: TenantId,
    pub email: Email,
    pub at: DateTime<Utc>,
}

/// Someone asked for a password-reset e-mail for this account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordResetRequested {
    pub user_id: UserId,
    pub tenant_id: TenantId,
    pub at: DateTime<Utc>,
}

/// A password-reset token was sent; only its hash is kept. A newer token replaces an older one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordResetIssued {
    pub user_id: UserId,
    pub tenant_id: TenantId,
    pub token: OneTimeToken,
    pub at: DateTime<Utc>,
}

/// The password was replaced through a reset token. Sessions started before `at` end, the
/// lockout is cleared, and the address counts as verified (the token came by mail).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordReset {
    pub user_id: UserId,
    pub tenant_id: TenantId,
    pub password_hash: PasswordHash,
    pub at: DateTime<Utc>,
}

/// An administrator disabled the account: no logins, and its sessions stop working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDisabled {
    pub user_id: UserId,
    pub tenant_id: TenantId,
    pub at: DateTime<Utc>,
}

/// An administrator enabled the account again; sessions from before the disable stay ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserEnabled {
    pub user_id: UserId,
    pub tenant_id: TenantId,
    pub at: DateTime<Utc>,
}

/// The user became the tenant's bootstrap administrator (at most one per tenant, ever).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdministratorBootstrapped {
    pub user_id: UserId,
    pub tenant_id: TenantId,
    pub at: DateTime<Utc>,
}

impl DomainEvent for UserEvent {
    fn event_type(&self) -> String {
        match self {
            Self::UserRegistered(_) => "UserRegistered",
            Self::LoginSucceeded(_) => "LoginSucceeded",
            Self::LoginFailed(_) => "LoginFailed",
            Self::AccountLocked(_) => "AccountLocked",
            Self::DisplayNameChanged(_) => "DisplayNameChanged",
            Self::PasswordChanged(_) => "PasswordChanged",
            Self::EmailVerificationIssued(_) => "EmailVerificationIssued",
            Self::EmailVerified(_) => "EmailVerified",
            Self::PasswordResetRequested(_) => "PasswordResetRequested",
            Self::PasswordResetIssued(_) => "PasswordResetIssued",
            Self::PasswordReset(_) => "PasswordReset",
            Self::UserDisabled(_) => "UserDisabled",
            Self::UserEnabled(_) => "UserEnabled",
            Self::AdministratorBootstrapped(_) => "AdministratorBootstrapped",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

impl UniqueClaims for UserEvent {
    fn unique_claims(&self) -> Vec<UniqueClaim> {
        match self {
            Self::UserRegistered(e) => vec![UniqueClaim {
                scope: EMAIL_CLAIM_SCOPE.to_owned(),
                key: email_claim_key(&e.tenant_id, &e.email),
            }],
            Self::AdministratorBootstrapped(e) => vec![UniqueClaim {
                scope: BOOTSTRAP_ADMIN_CLAIM_SCOPE.to_owned(),
                key: e.tenant_id.to_string(),
            }],
            Self::LoginSucceeded(_)
            | Self::LoginFailed(_)
            | Self::AccountLocked(_)
            | Self::DisplayNameChanged(_)
            | Self::PasswordChanged(_)
            | Self::EmailVerificationIssued(_)
            | Self::EmailVerified(_)
            | Self::PasswordResetRequested(_)
            | Self::PasswordResetIssued(_)
            | Self::PasswordReset(_)
            | Self::UserDisabled(_)
            | Self::UserEnabled(_) => Vec::new(),
        }
    }
}

/// The key of an e-mail's uniqueness claim: the tenant and the normalised address. The identity
/// service finds a user by e-mail through it.
pub fn email_claim_key(tenant: &TenantId, email: &Email) -> String {
    format!("{tenant}/{}", email.as_str())
}
