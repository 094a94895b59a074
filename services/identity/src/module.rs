//! The identity module as the composition root registers it.

use std::sync::Arc;

use async_trait::async_trait;
use plinth_domain_permissions::Manifest;
use plinth_infra_module::{DynProjection, EventSet, Http, Kernel, Migrations, Module, ModuleError};

use crate::configured::{failed, password_policy};
use crate::{Authenticator, IdentityService, TokenService, TokenSettings, http};

/// Users, sessions and signing keys: their events, the token tables, the users and sessions
/// read models, the `/v1/auth` and `/v1/users` routes, and the gateway's authenticator.
#[derive(Debug, Clone, Copy, Default)]
pub struct IdentityModule;

#[async_trait]
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

    /// The handlers over the service, and the authenticator over the signing keys and the
    /// views; the keys follow rotations other processes make until `kernel.shutdown`.
    async fn http(&self, kernel: &Kernel) -> Result<Http, ModuleError> {
        let settings = &kernel.settings;
        let read = plinth_infra_postgres::connect_pool(
            &kernel.database_url,
            kernel.max_connections() as usize,
        )
        .map_err(failed)?;
        let events =
            plinth_infra_event_store::sqlx_pool(&kernel.database_url, 2).map_err(failed)?;
        let tokens = TokenService::start(
            read.clone(),
            TokenSettings::from(&settings.identity),
            Some(events),
        )
        .await
        .map_err(|e| failed(format!("loading the signing keys: {e}")))?;
        let tokens = Arc::new(tokens);
        crate::tokens::watch_rotations(
            tokens.clone(),
            (**settings).clone(),
            kernel.shutdown.clone(),
        );
        let identity = http::Identity {
            service: Arc::new(IdentityService::configured(settings, &kernel.database_url)?),
            tokens: tokens.clone(),
            read: read.clone(),
            password_policy: password_policy(&settings.identity),
            session_idle: std::time::Duration::from_secs(settings.identity.session_idle_secs),
        };
        Ok(http::routes(&identity).authenticates(Arc::new(Authenticator { tokens, read })))
    }
}
