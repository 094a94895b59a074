//! Postgres plumbing shared by every Plinth component: connection pools for read models and
//! infrastructure tables (`deadpool-postgres`), numbered migrations per component, and — behind the
//! `testing` feature — a fresh database per test.
//!
//! Start with [`connect_pool`] and [`migrate`]; a component declares its migrations as a
//! `plinth_infra_module::Migrations` constant built from numbered `.sql` files.

mod migrate;
mod pool;
#[cfg(feature = "testing")]
pub mod testing;

pub use deadpool_postgres::{GenericClient, Object as Connection, Pool, Transaction};
pub use migrate::migrate;
pub use pool::{IDLE_IN_TRANSACTION_TIMEOUT_MS, connect_pool, connect_pool_in_schema, tls};
pub use tokio_postgres;

/// What can go wrong talking to Postgres.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the Postgres URL is not valid: {0}")]
    InvalidUrl(#[source] tokio_postgres::Error),
    #[error("could not create the Postgres pool: {0}")]
    Pool(#[from] deadpool_postgres::CreatePoolError),
    #[error("could not get a Postgres connection: {0}")]
    Connection(#[from] deadpool_postgres::PoolError),
    #[error("Postgres query failed: {}", describe(.0))]
    Query(#[from] tokio_postgres::Error),
    #[error("migration {component}/{version} ({name}) failed: {}", describe(.source))]
    Migration {
        component: &'static str,
        version: i32,
        name: &'static str,
        #[source]
        source: tokio_postgres::Error,
    },
}

/// What a Postgres error says: the server's message (and detail, and the constraint or
/// column it names) for an error the server sent, else the client's. `tokio_postgres::Error`
/// shows only "db error" for the former.
pub fn describe(error: &tokio_postgres::Error) -> String {
    let Some(db) = error.as_db_error() else {
        return error.to_string();
    };
    let mut text = format!("{} (SQLSTATE {})", db.message(), db.code().code());
    if let Some(detail) = db.detail() {
        text.push_str(": ");
        text.push_str(detail);
    }
    text
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// SQLSTATE of a unique violation, used by adapters that map it to a conflict.
pub const UNIQUE_VIOLATION: &str = "23505";

/// Whether a Postgres error is a unique violation (SQLSTATE 23505).
pub fn is_unique_violation(error: &tokio_postgres::Error) -> bool {
    error.code().is_some_and(|c| c.code() == UNIQUE_VIOLATION)
}
