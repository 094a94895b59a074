//! The identity domain: the [`User`] aggregate (cqrs-es), its [`UserCommand`]s and
//! [`UserEvent`]s, and the value types parsed at the edge ([`Email`], [`DisplayName`],
//! [`Password`]). External effects (hashing, the clock) sit behind the ports in [`services`].
//!
//! The [`Session`] aggregate is one login's refresh-token family; [`SigningKeys`] records the
//! access-token key rotations.
//!
//! Start with `user/mod.rs`: its tests (`user/tests.rs`) read as the specification of a user's
//! life.

mod commands;
mod events;
mod password;
pub mod services;
pub mod session;
mod signing_key;
mod user;
mod values;

pub use commands::{
    ChangeDisplayName, ChangePassword, IssueToken, RecordLogin, RedeemToken, RegisterUser,
    ResetPassword, UserCommand,
};
pub use events::{
    AccountLocked, AdministratorBootstrapped, BOOTSTRAP_ADMIN_CLAIM_SCOPE, DisplayNameChanged,
    EMAIL_CLAIM_SCOPE, EmailVerificationIssued, EmailVerified, LoginFailed, LoginSucceeded,
    PasswordChanged, PasswordReset, PasswordResetIssued, PasswordResetRequested, UserDisabled,
    UserEnabled, UserEvent, UserRegistered, email_claim_key,
};
pub use password::{Password, PasswordError, PasswordHash, PasswordPolicy};
pub use services::{LockoutPolicy, UserServices};
pub use session::{Session, SessionError};
pub use signing_key::{
    RecordKeyRotation, SIGNING_KEYS_ID, SigningKeyError, SigningKeyEvent, SigningKeyRotated,
    SigningKeys,
};
pub use user::{User, UserError};
pub use values::{
    DisplayName, DisplayNameError, Email, EmailError, OneTimeToken, TokenHash, UserId,
};
