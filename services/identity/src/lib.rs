//! The identity module: runs user and session commands on the `User` and `Session`
//! aggregates through the event store's command bus, with argon2id password hashing on a
//! bounded blocking pool, refresh-token rotation with reuse detection, single-use mailed
//! tokens, and EdDSA access tokens ([`tokens`]).
//!
//! Start at [`IdentityModule`] (what the composition root registers). [`IdentityService`]
//! (`service.rs`) implements the `IdentityApi` of `plinth-services-identity-api`; its HTTP
//! handlers (`http/`) call it through that trait; [`Authenticator`] (`authenticate.rs`) is
//! how the gateway turns an access token into its caller.

mod accounts;
mod admin;
mod authenticate;
mod bounded;
mod configured;
mod hasher;
mod http;
mod mail_tokens;
mod module;
mod secrets;
mod service;
mod sessions;
pub mod tokens;

include!(concat!(env!("OUT_DIR"), "/manifest.rs"));

pub use authenticate::Authenticator;
pub use configured::password_policy;
pub use hasher::Argon2Hasher;
pub use mail_tokens::{MailPurpose, MailToken};
pub use module::IdentityModule;
pub use service::{IdentityService, Lifetimes};
pub use tokens::{Claims, IssuedToken, TokenError, TokenService, TokenSettings};
