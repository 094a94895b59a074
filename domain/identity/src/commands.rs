use plinth_domain_core::TenantId;

use crate::{DisplayName, Email, OneTimeToken, Password, PasswordHash, TokenHash, UserId};

/// What can be asked of a user.
#[derive(Debug, Clone)]
pub enum UserCommand {
    Register(RegisterUser),
    RecordLogin(RecordLogin),
    ChangeDisplayName(ChangeDisplayName),
    ChangePassword(ChangePassword),
    IssueEmailVerification(IssueToken),
    VerifyEmail(RedeemToken),
    RequestPasswordReset,
    IssuePasswordReset(IssueToken),
    ResetPassword(ResetPassword),
    Disable,
    Enable,
    BootstrapAdministrator,
}

/// Record a freshly generated single-use token (verification or reset); the caller sends the
/// token itself by mail. A newer token replaces the previous one.
#[derive(Debug, Clone)]
pub struct IssueToken {
    pub token: OneTimeToken,
}

/// Use a single-use token, presented as its hash.
#[derive(Debug, Clone)]
pub struct RedeemToken {
    pub hash: TokenHash,
}

/// Replace the password with a reset token. The caller has checked the policy.
#[derive(Debug, Clone)]
pub struct ResetPassword {
    pub hash: TokenHash,
    pub new_password: Password,
}

/// Replace the password. The caller has checked the current one against `checked_against` (the
/// stored hash then) and the policy: the change is refused while the account is locked, or if
/// the password was replaced meanwhile. Every session of the user started before the change
/// ends, except `keep_session` (the one asking).
#[derive(Debug, Clone)]
pub struct ChangePassword {
    pub new_password: Password,
    pub checked_against: PasswordHash,
    pub keep_session: Option<uuid::Uuid>,
}

/// Change the name shown for the user. The same name again changes nothing.
#[derive(Debug, Clone)]
pub struct ChangeDisplayName {
    pub display_name: DisplayName,
}

/// Record a login attempt whose password was checked against `checked_against`, the stored
/// hash at the time. Failures count toward the lockout; an attempt on a locked account is
/// refused and changes nothing; a success against a hash that has since been replaced (a reset
/// or change raced the check) is refused.
#[derive(Debug, Clone)]
pub struct RecordLogin {
    pub succeeded: bool,
    pub checked_against: PasswordHash,
}

/// Create an account with an e-mail address and a password.
#[derive(Debug, Clone)]
pub struct RegisterUser {
    pub user_id: UserId,
    pub tenant_id: TenantId,
    pub email: Email,
    pub display_name: DisplayName,
    pub password: Password,
    /// Also make the user the tenant's bootstrap administrator, in the same commit.
    pub administrator: bool,
}
