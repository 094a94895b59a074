//! The identity service, its access tokens and its rules as the `[identity]` settings set them:
//! what the module builds, and `plinth admin bootstrap` and the notification worker too.

use std::time::Duration;

use plinth_domain_identity::{LockoutPolicy, PasswordPolicy};
use plinth_infra_config::{IdentitySettings, Settings};
use plinth_infra_module::ModuleError;

use crate::{Argon2Hasher, IdentityService, Lifetimes, TokenSettings};

impl IdentityService {
    /// The service on its own pool of the event store at `database_url`, with the `[identity]`
    /// settings.
    pub fn configured(settings: &Settings, database_url: &str) -> Result<Self, ModuleError> {
        let events =
            plinth_infra_event_store::sqlx_pool(database_url, settings.database.max_connections)
                .map_err(failed)?;
        let identity = &settings.identity;
        Ok(Self::new(
            events,
            Argon2Hasher::new(
                identity.password_hash_concurrency,
                identity.password_hash_queue,
            ),
            lockout_policy(identity),
            Lifetimes::from(identity),
        ))
    }
}

/// Why the configured identity service cannot be built.
pub(crate) fn failed(e: impl std::fmt::Display) -> ModuleError {
    ModuleError {
        module: "identity",
        reason: e.to_string(),
    }
}

/// The rules new passwords must meet.
pub fn password_policy(identity: &IdentitySettings) -> PasswordPolicy {
    PasswordPolicy {
        min_chars: identity.password_min_length,
        max_chars: identity.password_max_length,
    }
}

/// When failed logins lock an account, and for how long.
pub(crate) fn lockout_policy(identity: &IdentitySettings) -> LockoutPolicy {
    LockoutPolicy {
        max_failures: identity.lockout_max_failures,
        lock_for: chrono::Duration::minutes(i64::from(identity.lockout_minutes)),
    }
}

impl From<&IdentitySettings> for TokenSettings {
    fn from(identity: &IdentitySettings) -> Self {
        Self {
            issuer: identity.token_issuer.clone(),
            audience: identity.token_audience.clone(),
            access_ttl: Duration::from_secs(identity.access_token_ttl_secs),
        }
    }
}

impl From<&IdentitySettings> for Lifetimes {
    fn from(identity: &IdentitySettings) -> Self {
        Self {
            session: Duration::from_secs(identity.session_ttl_secs),
            session_idle: Duration::from_secs(identity.session_idle_secs),
            email_verification: Duration::from_secs(identity.email_verification_ttl_secs),
            password_reset: Duration::from_secs(identity.password_reset_ttl_secs),
        }
    }
}
