//! The identity domain: the [`User`] aggregate (cqrs-es), its [`UserCommand`]s and
//! [`UserEvent`]s, and the value types parsed at the edge ([`Email`], [`DisplayName`],
//! [`Password`]). External effects (hashing, the clock) sit behind the ports in [`services`].
//!
//! Start with `aggregate.rs`: its tests read as the specification of a user's life.

mod aggregate;
mod commands;
mod events;
mod password;
pub mod services;
mod values;

pub use aggregate::{User, UserError};
pub use commands::{ChangeDisplayName, ChangePassword, RecordLogin, RegisterUser, UserCommand};
pub use events::{
    AccountLocked, DisplayNameChanged, EMAIL_CLAIM_SCOPE, LoginFailed, LoginSucceeded,
    PasswordChanged, UserEvent, UserRegistered, email_claim_key,
};
pub use password::{Password, PasswordError, PasswordHash, PasswordPolicy};
pub use services::{LockoutPolicy, UserServices};
pub use values::{DisplayName, DisplayNameError, Email, EmailError, UserId};
