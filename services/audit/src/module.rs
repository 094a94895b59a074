//! The audit module as the composition root registers it.

use std::sync::Arc;

use async_trait::async_trait;
use plinth_domain_permissions::Manifest;
use plinth_infra_module::{DynProjection, EventSet, Http, Kernel, Migrations, Module, ModuleError};

/// Trails and checkpoints: their events, the recorder's tables, the audit read model, and the
/// `/v1/audit` routes that read it.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditModule;

#[async_trait]
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

    async fn http(&self, kernel: &Kernel) -> Result<Http, ModuleError> {
        // Searches of the trail are an administrator's: a few connections serve them.
        let read = plinth_infra_postgres::connect_pool(&kernel.database_url, 4).map_err(|e| {
            ModuleError {
                module: "audit",
                reason: e.to_string(),
            }
        })?;
        Ok(crate::http::routes(&read))
    }
}
