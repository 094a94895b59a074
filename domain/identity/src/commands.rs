use plinth_domain_core::TenantId;

use crate::{DisplayName, Email, Password, UserId};

/// What can be asked of a user.
#[derive(Debug, Clone)]
pub enum UserCommand {
    Register(RegisterUser),
    RecordLogin(RecordLogin),
    ChangeDisplayName(ChangeDisplayName),
    ChangePassword(ChangePassword),
}

/// Replace the password. The caller has checked the current one and the policy.
#[derive(Debug, Clone)]
pub struct ChangePassword {
    pub new_password: Password,
}

/// Change the name shown for the user. The same name again changes nothing.
#[derive(Debug, Clone)]
pub struct ChangeDisplayName {
    pub display_name: DisplayName,
}

/// Record a login attempt whose password was checked against the stored hash. Failures count
/// toward the lockout; an attempt on a locked account is refused and changes nothing.
#[derive(Debug, Clone, Copy)]
pub struct RecordLogin {
    pub succeeded: bool,
}

/// Create an account with an e-mail address and a password.
#[derive(Debug, Clone)]
pub struct RegisterUser {
    pub user_id: UserId,
    pub tenant_id: TenantId,
    pub email: Email,
    pub display_name: DisplayName,
    pub password: Password,
}
