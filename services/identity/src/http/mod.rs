//! The identity module's HTTP handlers, written with `plinth-infra-edge` like every module's
//! and mounted by the gateway under the guards `module.toml` declares: registration and the
//! mailed-token flows (`accounts.rs`), sign-in, refresh and sessions (`sessions.rs`), the
//! caller's profile and user reads (`users.rs`), and user administration (`admin.rs`).
//!
//! Commands go through [`IdentityApi`], so they are the same whether the service runs in this
//! process or another; reads come from the `users_v1` and `sessions_v1` views; login and
//! refresh sign the access token here, with the module's signing keys.

mod accounts;
mod admin;
mod sessions;
#[cfg(test)]
mod tests;
mod users;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use http::Method;
use plinth_domain_identity::PasswordPolicy;
use plinth_infra_edge::{ApiError, FieldError};
use plinth_infra_module::Http;
use plinth_infra_postgres::{Connection, Pool};
use plinth_services_identity_api::IdentityApi;
use uuid::Uuid;

use crate::TokenService;

/// What every handler uses.
#[derive(Clone)]
pub(crate) struct Identity {
    pub(crate) service: Arc<dyn IdentityApi>,
    /// Signs access tokens for new sessions and publishes the keys.
    pub(crate) tokens: Arc<TokenService>,
    /// The users and sessions views.
    pub(crate) read: Pool,
    /// Rules new passwords must meet (and the longest one presented at all).
    pub(crate) password_policy: PasswordPolicy,
    /// Sessions not refreshed for this long have ended (they are not listed).
    pub(crate) session_idle: Duration,
}

impl FromRef<Identity> for PasswordPolicy {
    fn from_ref(identity: &Identity) -> Self {
        identity.password_policy
    }
}

impl Identity {
    /// A connection to the read models.
    pub(crate) async fn read(&self) -> Result<Connection, ApiError> {
        self.read.get().await.map_err(read_error)
    }
}

/// The routes' operations, from the handlers' types.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    accounts::register,
    accounts::verify_email,
    accounts::request_password_reset,
    accounts::complete_password_reset,
    accounts::change_password,
    sessions::login,
    sessions::refresh,
    sessions::logout,
    sessions::list,
    sessions::revoke,
    sessions::jwks,
    users::me,
    users::update_me,
    users::get,
    admin::list,
    admin::disable,
    admin::enable,
))]
struct IdentityDocument;

/// The handlers, one per route `module.toml` declares, and their documentation.
pub(crate) fn routes(identity: &Identity) -> Http {
    use utoipa::OpenApi;
    Http::default()
        .documented(IdentityDocument::openapi())
        .route(
            Method::POST,
            "/v1/auth/register",
            accounts::register,
            identity.clone(),
        )
        .route(
            Method::POST,
            "/v1/auth/verify-email",
            accounts::verify_email,
            identity.clone(),
        )
        .route(
            Method::POST,
            "/v1/auth/password-reset",
            accounts::request_password_reset,
            identity.clone(),
        )
        .route(
            Method::POST,
            "/v1/auth/password-reset/complete",
            accounts::complete_password_reset,
            identity.clone(),
        )
        .route(
            Method::POST,
            "/v1/auth/password",
            accounts::change_password,
            identity.clone(),
        )
        .route(
            Method::POST,
            "/v1/auth/login",
            sessions::login,
            identity.clone(),
        )
        .route(
            Method::POST,
            "/v1/auth/refresh",
            sessions::refresh,
            identity.clone(),
        )
        .route(
            Method::POST,
            "/v1/auth/logout",
            sessions::logout,
            identity.clone(),
        )
        .route(
            Method::GET,
            "/v1/auth/sessions",
            sessions::list,
            identity.clone(),
        )
        .route(
            Method::DELETE,
            "/v1/auth/sessions/{id}",
            sessions::revoke,
            identity.clone(),
        )
        .route(
            Method::GET,
            "/.well-known/jwks.json",
            sessions::jwks,
            identity.clone(),
        )
        .route(Method::GET, "/v1/users/me", users::me, identity.clone())
        .route(
            Method::PATCH,
            "/v1/users/me",
            users::update_me,
            identity.clone(),
        )
        .route(Method::GET, "/v1/users/{id}", users::get, identity.clone())
        .route(Method::GET, "/v1/users", admin::list, identity.clone())
        .route(
            Method::POST,
            "/v1/users/{id}/disable",
            admin::disable,
            identity.clone(),
        )
        .route(
            Method::POST,
            "/v1/users/{id}/enable",
            admin::enable,
            identity.clone(),
        )
}

/// A path's id that must be a UUID: a 422 naming it otherwise.
pub(crate) fn path_id(text: &str) -> Result<Uuid, ApiError> {
    Uuid::try_parse(text)
        .map_err(|_| ApiError::Validation(vec![FieldError::new("id", "must be a UUID")]))
}

/// A read-model failure.
pub(crate) fn read_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::Unavailable(format!("the identity read models: {e}"))
}
