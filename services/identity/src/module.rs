//! The identity module as the composition root registers it.

use std::sync::Arc;

use plinth_domain_permissions::Manifest;
use plinth_infra_module::{DynProjection, EventSet, Migrations, Module};

/// Users, sessions and signing keys: their events, the token tables, and the users and
/// sessions read models.
#[derive(Debug, Clone, Copy, Default)]
pub struct IdentityModule;

impl Module for IdentityModule {
    fn manifest(&self) -> &'static Manifest {
        &crate::MANIFEST
    }

    fn migrations(&self) -> Vec<Migrations> {
        vec![crate::tokens::MIGRATIONS]
    }

    fn events(&self) -> Option<&'static EventSet> {
        Some(&plinth_schemas::identity::EVENTS)
    }

    fn projections(&self) -> Vec<Arc<dyn DynProjection>> {
        vec![
            Arc::new(plinth_projections_users::UsersProjection),
            Arc::new(plinth_projections_sessions::SessionsProjection),
        ]
    }
}
