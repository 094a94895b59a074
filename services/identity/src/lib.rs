//! The identity service: runs user and session commands on the `User` and `Session`
//! aggregates through the event store's command bus, with argon2id password hashing on a
//! bounded blocking pool, refresh-token rotation with reuse detection, single-use mailed
//! tokens, and EdDSA access tokens ([`tokens`]).
//!
//! The gateway talks to it through the [`IdentityApi`] trait (`api.rs`); [`IdentityService`]
//! (`service.rs`) is the in-process implementation.

mod accounts;
mod admin;
mod api;
mod bounded;
mod hasher;
mod mail_tokens;
mod module;
mod secrets;
mod service;
mod sessions;
pub mod tokens;

include!(concat!(env!("OUT_DIR"), "/manifest.rs"));

pub use api::{IdentityApi, IdentityError, Registered, Registration, SignedIn};
pub use hasher::Argon2Hasher;
pub use mail_tokens::{MailPurpose, MailToken};
pub use module::IdentityModule;
pub use service::{IdentityService, Lifetimes};
pub use tokens::{Claims, IssuedToken, TokenError, TokenService, TokenSettings};
