//! The authz module: runs role, binding and decision commands on the `Role`, `Binding` and
//! `Decision` aggregates through the event store's command bus ([`AuthzService`], behind the
//! `AuthzApi` of `plinth-services-authz-api`), serves `/v1/authz` (`http/`), and gives the
//! gateway its authorizer ([`ViewAuthorizer`]). Decisions are made against the in-memory view
//! (`plinth-projections-authz`), fed from the events this service appends.
//!
//! The service enforces what the aggregates cannot see alone: commands stay in the caller's
//! tenant, a binding's custom role exists there, an inclusion makes no cycle (it loads the
//! roles reachable from the included one), and only a platform administrator binds or unbinds
//! `platform-admin`.
//!
//! `binding_heads` and `role_heads` say how far the store has got with a subject's bindings
//! and their roles: the authorizer, deciding a sensitive permission, first waits until its view
//! has applied all of that, so a revocation committed anywhere is enforced before access is
//! granted. Start reading at [`AuthzModule`].

mod authorizer;
mod denials;
mod http;
mod module;
mod service;

include!(concat!(env!("OUT_DIR"), "/manifest.rs"));

pub use authorizer::ViewAuthorizer;
pub use denials::Denials;
pub use module::AuthzModule;
pub use service::{AuthzService, platform_admin_binding};

use plinth_infra_module::{Migration, Migrations};

/// The authz service's index on the event store.
pub const MIGRATIONS: Migrations = Migrations {
    component: "authz",
    steps: &[Migration {
        version: 1,
        name: "binding_subjects",
        sql: include_str!("../migrations/0001_binding_subjects.sql"),
    }],
};
