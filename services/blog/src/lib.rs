//! The Blog: Plinth's sample feature module, written the way every feature team writes one.
//! One folder holds it all, and it depends only on kernel crates:
//!
//! - `module.toml`: its permissions and guarded routes (the build generates [`permissions`]
//!   and [`MANIFEST`]);
//! - `domain/`: the `Post` and `Comment` aggregates, pure, with their given/when/then tests;
//! - `events.rs` and `avro/`: its published events (`plinth.blog.post`, `plinth.blog.comment`)
//!   and their Avro schemas, locked in `avro/published.lock`;
//! - `projection.rs`, `queries.rs`, `sql/`, `migrations/`: its read model;
//! - `http/`: its handlers, the resolvers that let owner-only bindings apply at the route, and
//!   its job (`jobs.rs`: publishing at a time, through the scheduler).
//!
//! [`BlogModule`] is what the composition root registers, in one line. Start reading there.

pub mod domain;
pub mod events;
mod http;
mod projection;
mod queries;

include!(concat!(env!("OUT_DIR"), "/manifest.rs"));

use std::sync::Arc;

use plinth_infra_module::{
    DynProjection, EventSet, Http, Jobs, Kernel, Manifest, Module, ModuleError,
};

pub use events::{BlogEvent, EVENTS};
pub use projection::{BlogProjection, NAME as PROJECTION};

/// The Blog, as the composition root registers it.
#[derive(Debug, Clone, Copy, Default)]
pub struct BlogModule;

#[async_trait::async_trait]
impl Module for BlogModule {
    fn manifest(&self) -> &'static Manifest {
        &MANIFEST
    }

    fn events(&self) -> Option<&'static EventSet> {
        Some(&EVENTS)
    }

    fn projections(&self) -> Vec<Arc<dyn DynProjection>> {
        vec![Arc::new(BlogProjection)]
    }

    async fn http(&self, kernel: &Kernel) -> Result<Http, ModuleError> {
        http::http(kernel)
    }

    fn jobs(&self, kernel: &Kernel) -> Result<Jobs, ModuleError> {
        Ok(http::jobs::jobs(http::blog(kernel)?))
    }
}
