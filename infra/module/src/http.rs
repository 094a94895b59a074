//! What a module serves over HTTP: its routes' handlers (each mounted by the gateway under the
//! guard its manifest declares), the resolvers of the resources its routes act on, so that
//! owner-only, scoped and time-bounded bindings apply at the route, and the edge ports it
//! offers the gateway (identity authenticates, authz authorizes).

use std::sync::Arc;

use async_trait::async_trait;
use axum::handler::Handler;
use axum::routing::{MethodFilter, MethodRouter};
use plinth_domain_core::TenantId;
use plinth_domain_permissions::Registry;
use plinth_infra_config::Settings;
use plinth_infra_edge::{Authenticate, Authorize};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// What the kernel hands a module building its handlers and jobs.
#[derive(Clone)]
pub struct Kernel {
    /// The Postgres database of the event store and the read models.
    pub database_url: String,
    /// The configuration (a module reads its own settings and the kernel's it builds on).
    pub settings: Arc<Settings>,
    /// Every registered module's permissions and routes.
    pub registry: Arc<Registry>,
    /// Enqueues jobs for the scheduler.
    pub scheduler: Arc<dyn crate::Schedule>,
    /// Cancelled when the process stops: background work a module starts ends with it.
    pub shutdown: CancellationToken,
}

impl Kernel {
    /// The most connections one of a module's pools should open.
    pub fn max_connections(&self) -> u32 {
        self.settings.database.max_connections
    }
}

/// One route's handler: `method` on `path` (axum's syntax), as the manifest declares it. Made
/// only by [`Http::route`], so it serves exactly that method and nothing else.
pub struct Route {
    pub method: http::Method,
    pub path: &'static str,
    handler: MethodRouter,
}

impl Route {
    /// The handler, for the gateway to mount under the route's guard.
    pub fn into_handler(self) -> MethodRouter {
        self.handler
    }
}

/// A resource as the guard sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolvedResource {
    /// Who owns it (for owner-only bindings).
    pub owner: Option<Uuid>,
}

/// Looks up the resources of one type a module's routes act on.
#[async_trait]
pub trait ResolveResource: Send + Sync {
    /// The resource `id` of `tenant`; `Ok(None)` when there is none.
    async fn resolve(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<ResolvedResource>, String>;
}

/// A module's handlers and resolvers, their documentation, and the edge ports it offers.
#[derive(Default)]
pub struct Http {
    pub routes: Vec<Route>,
    /// Its routes' operations, from the handlers' own types (`#[utoipa::path]` on each
    /// handler, collected by a `#[derive(utoipa::OpenApi)]`): the gateway merges every
    /// module's into the document it serves at `/openapi.json`, and refuses to start a route
    /// that is not documented.
    pub openapi: utoipa::openapi::OpenApi,
    pub resources: Vec<(&'static str, Arc<dyn ResolveResource>)>,
    /// How the gateway turns access tokens into callers; exactly one registered module offers
    /// it (identity).
    pub authenticator: Option<Arc<dyn Authenticate>>,
    /// What the gateway's guards decide permissions with; exactly one registered module
    /// offers it (authz).
    pub authorizer: Option<Arc<dyn Authorize>>,
}

impl Http {
    /// Serves `method` on `path` with `handler`, which gets `state`. A method axum cannot
    /// route is served by nothing (and, undeclared in any manifest, stops the gateway).
    #[must_use]
    pub fn route<H, T, S>(
        mut self,
        method: http::Method,
        path: &'static str,
        handler: H,
        state: S,
    ) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
        S: Clone + Send + Sync + 'static,
    {
        let handler = match MethodFilter::try_from(method.clone()) {
            Ok(filter) => axum::routing::on(filter, handler).with_state(state),
            Err(_) => MethodRouter::new(),
        };
        self.routes.push(Route {
            method,
            path,
            handler,
        });
        self
    }

    /// Resolves resources of `resource_type` (`blog.post`) for the routes that name it.
    #[must_use]
    pub fn resource(
        mut self,
        resource_type: &'static str,
        resolver: Arc<dyn ResolveResource>,
    ) -> Self {
        self.resources.push((resource_type, resolver));
        self
    }

    /// Documents the routes with `openapi` (a module's `#[derive(utoipa::OpenApi)]`).
    #[must_use]
    pub fn documented(mut self, openapi: utoipa::openapi::OpenApi) -> Self {
        self.openapi = openapi;
        self
    }

    /// Offers the gateway `authenticator` for every request that sends an access token.
    #[must_use]
    pub fn authenticates(mut self, authenticator: Arc<dyn Authenticate>) -> Self {
        self.authenticator = Some(authenticator);
        self
    }

    /// Offers the gateway `authorizer` for every guarded route.
    #[must_use]
    pub fn authorizes(mut self, authorizer: Arc<dyn Authorize>) -> Self {
        self.authorizer = Some(authorizer);
        self
    }
}

/// A module that cannot start.
#[derive(Debug, thiserror::Error)]
#[error("module {module}: {reason}")]
pub struct ModuleError {
    pub module: &'static str,
    pub reason: String,
}
