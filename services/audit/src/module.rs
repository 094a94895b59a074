//! The audit module as the composition root registers it.

use std::sync::Arc;

use plinth_domain_permissions::Manifest;
use plinth_infra_module::{DynProjection, EventSet, Migrations, Module};

/// Trails and checkpoints: their events, the recorder's tables and the audit read model.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditModule;

impl Module for AuditModule {
    fn manifest(&self) -> &'static Manifest {
        &crate::MANIFEST
    }

    fn migrations(&self) -> Vec<Migrations> {
        vec![crate::MIGRATIONS]
    }

    fn events(&self) -> Option<&'static EventSet> {
        Some(&plinth_schemas::audit::EVENTS)
    }

    fn projections(&self) -> Vec<Arc<dyn DynProjection>> {
        vec![Arc::new(plinth_projections_audit::AuditProjection)]
    }
}
