//! The authorization domain. A [`Role`] is a named set of permissions in a tenant, which may
//! include other roles (never in a cycle); a [`Binding`] gives a subject a role in a tenant,
//! optionally only on one resource type or one resource, only on resources the subject owns,
//! and only between two instants; a [`Decision`] records one access decision for audit. Built-in roles ([`BuiltInRole`]) exist in every tenant
//! without being created. Decisions are made elsewhere (the authz view), from the published
//! events; this crate only decides which changes are valid.
//!
//! Start with `role.rs`, then `binding.rs`; `values.rs` holds the vocabulary.

mod binding;
mod decision;
mod role;
mod values;

pub use binding::{
    BindSubject, Binding, BindingCommand, BindingError, BindingEvent, SubjectBound, SubjectUnbound,
};
pub use decision::{AccessDecided, Decision, DecisionError, DecisionEvent, RecordDecision};
pub use role::{
    CreateRole, IncludeRole, ROLE_NAME_CLAIM_SCOPE, Role, RoleCommand, RoleCreated, RoleDeleted,
    RoleError, RoleEvent, RoleExcluded, RoleIncluded, RolePermissionsGranted,
    RolePermissionsRevoked, RoleRenamed,
};
use std::sync::Arc;

use chrono::{DateTime, Utc};

/// What the authz aggregates' handlers may call: the clock.
#[derive(Clone)]
pub struct AuthzServices {
    pub clock: Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>,
}

impl std::fmt::Debug for AuthzServices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthzServices")
    }
}

pub use values::{BuiltInRole, RoleName, RoleNameError, RoleRef, Scope};
