//! Layered configuration for every Plinth binary: compiled-in defaults, then `config/*.toml`
//! (in name order), then `PLINTH_<SECTION>_<KEY>` environment variables (`PLINTH_DATABASE_URL`,
//! `PLINTH_KAFKA_BROKERS`, `PLINTH_SCHEMA_REGISTRY_URL`, …). [`Settings::load`] reads the real
//! process environment; tests pass a `HashMap` through the [`Env`] trait instead.
//!
//! Unknown keys in files are errors; secrets are [`Secret`]s that never print.

mod env;
mod layers;
mod secret;
mod settings;

pub use env::{Env, ProcessEnv};
pub use secret::Secret;
pub use settings::{
    DatabaseSettings, GatewaySettings, IdentitySettings, KafkaSettings, MailSettings,
    ProjectorSettings, RelaySettings, SchedulerSettings, SchemaRegistrySettings, Settings,
    TelemetrySettings,
};

use std::path::PathBuf;

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not valid TOML: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
