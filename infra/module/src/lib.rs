//! The module contract. A module — identity, authz and audit as much as a feature team's Blog —
//! implements [`Module`]: its [`Manifest`], its [`Migrations`], the events it publishes (an
//! [`EventSet`] with their Avro schemas), its read models ([`Projection`]s), its HTTP
//! routes with the resolvers of the resources they act on ([`Http`]), and its background jobs
//! ([`Jobs`]; handlers enqueue more through the [`Schedule`] port the [`Kernel`] hands them).
//! The composition root lists the registered modules, one line each, and assembles from that
//! list the migrations, the relay's and the audit recorder's catalog, the projectors, the
//! gateway's routes and the ports its guards stand on (identity's [`Http::authenticates`],
//! authz's [`Http::authorizes`]), and `plinth modules list`: no kernel crate names a module's
//! types.
//!
//! Start reading at [`Module`]; a projection is a pure reducer (`projection.rs`) from an
//! [`Envelope`] of the module's events to SQL [`Statement`]s. The contract holds no driver: no
//! Kafka client, no connection pool, nothing that assumes the module runs in the same process
//! as the kernel (its handlers read the caller from the request, `plinth-infra-edge`).

mod envelope;
mod http;
mod jobs;
mod migrations;
mod projection;

use std::sync::Arc;

pub use envelope::{Envelope, Read};
pub use http::{Http, Kernel, ModuleError, ResolveResource, ResolvedResource, Route};
pub use jobs::{JobError, JobHandler, JobRun, Jobs, NewJob, Recurring, Schedule, ScheduleError};
pub use migrations::{Migration, Migrations};
pub use plinth_domain_permissions::Manifest;
pub use plinth_schemas::{DecodeEvent, EventSet};
pub use projection::{DynProjection, Projection, Reduced, Statement};

/// A Plinth module, as the composition root registers it.
#[async_trait::async_trait]
pub trait Module: Send + Sync + 'static {
    /// Its manifest: the `MANIFEST` its build script generates from its `module.toml` (its
    /// name and version, its permissions, and its routes with the access each needs).
    fn manifest(&self) -> &'static Manifest;

    /// Its tables other than its projections', in the order they are applied; each
    /// component's migrations are numbered on their own.
    fn migrations(&self) -> Vec<Migrations> {
        Vec::new()
    }

    /// The events it publishes, with their schemas and their mapping to Avro.
    fn events(&self) -> Option<&'static EventSet> {
        None
    }

    /// Its read models, run by the projector runtime; their tables are migrated after the
    /// module's own.
    fn projections(&self) -> Vec<Arc<dyn DynProjection>> {
        Vec::new()
    }

    /// Its HTTP handlers and resource resolvers (and the edge ports it offers), built with what
    /// the kernel hands it. The gateway mounts each route under the guard the manifest declares
    /// for it, and refuses to start when a route is served but not declared, declared but not
    /// served, or names a resource no resolver is given for.
    async fn http(&self, kernel: &Kernel) -> Result<Http, ModuleError> {
        let _ = kernel;
        Ok(Http::default())
    }

    /// Its background jobs: a handler per job kind, and recurring jobs. The scheduler
    /// (`plinth serve scheduler`) runs them.
    fn jobs(&self, kernel: &Kernel) -> Result<Jobs, ModuleError> {
        let _ = kernel;
        Ok(Jobs::default())
    }
}
