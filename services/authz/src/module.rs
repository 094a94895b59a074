//! The authz module as the composition root registers it.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use plinth_domain_permissions::Manifest;
use plinth_infra_module::{EventSet, Http, Kernel, Migrations, Module, ModuleError};
use plinth_projections_authz::AuthzView;
use plinth_services_authz_api::AuthzApi;

use crate::{AuthzService, Denials, ViewAuthorizer, http};

/// Roles, bindings and access decisions: their events, the `/v1/authz` routes, and the
/// gateway's authorizer. Its view is held in memory by the process that decides
/// (`plinth-projections-authz`), so it registers no table-backed projection.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuthzModule;

#[async_trait]
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

    /// The handlers and the authorizer over one in-memory view of every registered module's
    /// permissions, fed from the authz topics until `kernel.shutdown`.
    async fn http(&self, kernel: &Kernel) -> Result<Http, ModuleError> {
        let failed = |e: &dyn std::fmt::Display| ModuleError {
            module: "authz",
            reason: e.to_string(),
        };
        let settings = &kernel.settings;
        let declared = kernel.registry.permissions().map(|p| p.permission.as_str());
        let view = Arc::new(AuthzView::new(declared));
        let pool =
            plinth_infra_postgres::connect_pool(&kernel.database_url, 2).map_err(|e| failed(&e))?;
        let feeding = plinth_projections_authz::feed(
            view.clone(),
            (**settings).clone(),
            pool,
            kernel.shutdown.clone(),
        );
        tokio::spawn(async move {
            if let Err(e) = feeding.await {
                tracing::error!(error = %e, "The authz view stopped; permission checks deny what it does not know.");
            }
        });
        let events =
            plinth_infra_event_store::sqlx_pool(&kernel.database_url, kernel.max_connections())
                .map_err(|e| failed(&e))?;
        let service: Arc<dyn AuthzApi> = Arc::new(AuthzService::new(events));
        let denials = Denials::start(
            service.clone(),
            Duration::from_millis(settings.gateway.denial_window_ms),
            kernel.shutdown.clone(),
        );
        let authz = http::Authz {
            service: service.clone(),
            view: view.clone(),
            registry: kernel.registry.clone(),
            consistency_wait: Duration::from_millis(settings.gateway.consistency_wait_ms),
        };
        let authorizer = ViewAuthorizer {
            view,
            service,
            denials,
        };
        Ok(http::routes(&authz).authorizes(Arc::new(authorizer)))
    }
}
