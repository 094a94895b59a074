//! A Confluent Schema Registry compatible server for AVRO schemas, stored in Postgres.
//!
//! Any Confluent client (the Java and Python serializers, `schema_registry_converter`, Kafka
//! Connect) can register, look up and fetch schemas here as it would from Confluent's registry:
//! same endpoints, same JSON, same error codes, same global ids in the wire format.
//!
//! Start with [`router`] (the REST API) and [`SchemaRegistry`] (its operations); apply
//! [`MIGRATIONS`] to the database first:
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let pool = plinth_infra_postgres::connect_pool("postgres://localhost/plinth", 8)?;
//! plinth_infra_postgres::migrate(&mut pool.get().await?, &plinth_infra_schema_registry::MIGRATIONS).await?;
//! let app = plinth_infra_schema_registry::router(
//!     plinth_infra_schema_registry::SchemaRegistry::new(pool),
//!     Some(plinth_infra_schema_registry::Writers::new("plinth", "a long random secret")),
//! );
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8081").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! Reading order: `http` (routes, wire details in `http/reply.rs`), `registry` (the rules:
//! versions, soft and permanent deletes, configuration), `canonical` (how a schema text becomes
//! the canonical text that decides its id), `compatibility` (the levels and the check), `store`
//! (the SQL, in `src/sql/`), and `error` (Confluent's error codes).
//!
//! Changes (registering, deleting, configuring) can require HTTP basic credentials
//! ([`Writers`], `http/access.rs`); reads never do.
//!
//! Not supported: schema types other than AVRO, schema references, contexts, metadata and rule
//! sets (ignored), modes other than READWRITE.

mod canonical;
mod compatibility;
mod error;
mod http;
mod registry;
mod store;
mod version;

pub use error::{Error, Result};
pub use http::{Writers, router};
pub use registry::SchemaRegistry;

use plinth_infra_module::{Migration, Migrations};

/// The registry's tables (`schema_registry_*`), for [`plinth_infra_postgres::migrate`].
pub const MIGRATIONS: Migrations = Migrations {
    component: "schema_registry",
    steps: &[Migration {
        version: 1,
        name: "schema_registry",
        sql: include_str!("../migrations/0001_schema_registry.sql"),
    }],
};
