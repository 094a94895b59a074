//! The identity service: runs user commands on the `User` aggregate through the event store's
//! command bus, with argon2id password hashing on a bounded blocking pool.
//!
//! The gateway talks to it through the [`IdentityApi`] trait; [`IdentityService`] is the
//! in-process implementation. Start with `service.rs`.

mod hasher;
mod service;
pub mod tokens;

pub use hasher::Argon2Hasher;
pub use service::{IdentityApi, IdentityError, IdentityService, Registered, Registration};
pub use tokens::{Claims, IssuedToken, TokenError, TokenService, TokenSettings};
