//! Plinth's event store: the `postgres-es` repository, plus what it lacks.
//!
//! - **Global order** ([`read_committed_after`]): every event row records its writing transaction
//!   (`xid8`); readers take only transactions older than every running one, ordered by
//!   (transaction, position), so an event committed late by a slow transaction is never skipped.
//! - **Unique claims**: events that implement [`UniqueClaims`](plinth_domain_core::UniqueClaims)
//!   reserve values (an e-mail within a tenant) in the same transaction as the events.
//! - **[`CommandBus`]**: loads an aggregate, runs a command, commits with metadata, retries a
//!   bounded number of times on an optimistic-lock conflict, and returns a [`ConsistencyToken`].
//!   With [`CommandBus::with_snapshots`] it snapshots long-lived aggregates at commit
//!   boundaries (`snapshots.rs`).
//!
//! Tables are created by [`MIGRATIONS`] (`migrations/*.sql`).

mod command_bus;
mod global_order;
mod snapshots;
mod token;

pub use command_bus::{CommandBus, CommandError, Committed};
pub use global_order::{
    Cursor, ReadError, StoredEvent, read_aggregate, read_committed_after, read_positions,
};
pub use token::names_committed_write;

use plinth_infra_module::{Migration, Migrations};

/// The event store's tables, functions and triggers.
pub const MIGRATIONS: Migrations = Migrations {
    component: "event_store",
    steps: &[
        Migration {
            version: 1,
            name: "events",
            sql: include_str!("../migrations/0001_events.sql"),
        },
        Migration {
            version: 2,
            name: "claim_release",
            sql: include_str!("../migrations/0002_claim_release.sql"),
        },
        Migration {
            version: 3,
            name: "aggregate_snapshots",
            sql: include_str!("../migrations/0003_aggregate_snapshots.sql"),
        },
    ],
};

/// The channel the events table notifies on every commit.
pub const NOTIFY_CHANNEL: &str = "plinth_events";

/// The aggregate holding a unique claim (the user with an e-mail address, say), if any. Claims
/// are written with the events, so this is as current as the event store itself.
pub async fn claim_holder(
    pool: &sqlx::PgPool,
    scope: &str,
    key: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(include_str!("../sql/claim_holder.sql"))
        .bind(scope)
        .bind(key)
        .fetch_optional(pool)
        .await
}

/// A `sqlx` pool for `postgres-es` (which is written against sqlx). Connections open lazily,
/// and end a transaction left idle for
/// [`IDLE_IN_TRANSACTION_TIMEOUT_MS`](plinth_infra_postgres::IDLE_IN_TRANSACTION_TIMEOUT_MS).
pub fn sqlx_pool(url: &str, max_connections: u32) -> Result<sqlx::PgPool, sqlx::Error> {
    use std::str::FromStr;
    let options = sqlx::postgres::PgConnectOptions::from_str(url)?.options([(
        "idle_in_transaction_session_timeout",
        plinth_infra_postgres::IDLE_IN_TRANSACTION_TIMEOUT_MS.to_string(),
    )]);
    Ok(sqlx::postgres::PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(std::time::Duration::from_secs(10))
        .connect_lazy_with(options))
}
