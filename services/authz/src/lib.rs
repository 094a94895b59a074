//! The authz service: runs role, binding and decision commands on the `Role`, `Binding` and
//! `Decision` aggregates through the event store's command bus, behind the [`AuthzApi`] the
//! gateway calls. Decisions are not made here but against the in-memory view
//! (`plinth-projections-authz`), fed from the events this service appends.
//!
//! The service enforces what the aggregates cannot see alone: commands stay in the caller's
//! tenant, a binding's custom role exists there, an inclusion makes no cycle (it loads the
//! roles reachable from the included one), and only a platform administrator binds or unbinds
//! `platform-admin`.

mod api;
mod service;

pub use api::{AuthzApi, AuthzError, NewBinding};
pub use service::{AuthzService, platform_admin_binding};
