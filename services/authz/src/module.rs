//! The authz module as the composition root registers it.

use plinth_domain_permissions::Manifest;
use plinth_infra_module::{EventSet, Migrations, Module};

/// Roles, bindings and access decisions. Its view is held in memory by whoever checks
/// permissions (`plinth-projections-authz`), so it registers no table-backed projection.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuthzModule;

impl Module for AuthzModule {
    fn manifest(&self) -> &'static Manifest {
        &crate::MANIFEST
    }

    fn migrations(&self) -> Vec<Migrations> {
        vec![crate::MIGRATIONS]
    }

    fn events(&self) -> Option<&'static EventSet> {
        Some(&plinth_schemas::authz::EVENTS)
    }
}
