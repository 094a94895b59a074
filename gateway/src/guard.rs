//! Routes built from the module manifests. Each route is registered with [`Routes::add`], which
//! looks up what its manifest requires and wraps the handler in the matching guard; a route no
//! manifest declares, or a declared route nothing serves, stops the gateway from starting.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts, RawPathParams, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use plinth_domain_core::{Actor, CommandMetadata};
use plinth_domain_permissions::{Access, Permission, Registry, RouteInfo};
use plinth_infra_edge::{
    AccessRecord, Caller, Consistency, Decision, RequestMetadata, ResourceRef, Subject,
};
use plinth_infra_module::Route;
use tracing::debug;
use uuid::Uuid;

use crate::context::{authenticate, bearer};
use crate::{ApiError, AppState};

/// The routes do not match the manifests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error(
        "route {method} {path} is not declared in any module manifest (add it to the module.toml of the module that serves it, with its permission or access = \"public\")"
    )]
    Undeclared { method: String, path: String },
    #[error("route {method} {path} is declared by module {module} but nothing serves it")]
    Unserved {
        module: String,
        method: String,
        path: String,
    },
    #[error(
        "route {method} {path} of module {module} is not documented (add #[utoipa::path] to its handler and list it in the module's #[derive(utoipa::OpenApi)])"
    )]
    Undocumented {
        module: String,
        method: String,
        path: String,
    },
    #[error(
        "{first} and {second} are both documented as operation {id} (give one an operation_id in its #[utoipa::path])"
    )]
    DuplicateOperation {
        id: String,
        first: String,
        second: String,
    },
    #[error(
        "two modules document different schemas named {name} (name one with #[schema(as = <module>::Name)])"
    )]
    SchemaClash { name: String },
    #[error(
        "route {path} conflicts with {other}: paths that differ only in their parameters' names cannot both be served"
    )]
    Conflicting { path: String, other: String },
    #[error(
        "route {method} {path} of module {module} acts on {resource_type}, but no module resolves that resource"
    )]
    Unresolved {
        module: String,
        method: String,
        path: String,
        resource_type: String,
    },
}

/// Routes under construction, checked against the manifests.
pub(crate) struct Routes {
    state: AppState,
    paths: BTreeMap<&'static str, MethodRouter<AppState>>,
    served: Vec<&'static RouteInfo>,
}

impl Routes {
    pub(crate) fn new(state: AppState) -> Self {
        Self {
            state,
            paths: BTreeMap::new(),
            served: Vec::new(),
        }
    }

    /// Serves `method` on `path` with `handler`, guarded as its manifest says.
    pub(crate) fn add(
        mut self,
        method: &http::Method,
        path: &'static str,
        handler: MethodRouter<AppState>,
    ) -> Result<Self, RouteError> {
        let info = declared(&self.state.registry, method.as_str(), path)?;
        if let Some(other) = self
            .paths
            .keys()
            .find(|other| **other != path && shape(other) == shape(path))
        {
            return Err(RouteError::Conflicting {
                path: path.to_owned(),
                other: (*other).to_owned(),
            });
        }
        if let Some(resource) = info.resource
            && !self.state.resources.contains_key(resource.resource_type)
        {
            return Err(RouteError::Unresolved {
                module: info.module.to_owned(),
                method: info.method.to_owned(),
                path: info.path.to_owned(),
                resource_type: resource.resource_type.to_owned(),
            });
        }
        let guarded = handler.route_layer(axum::middleware::from_fn_with_state(
            (self.state.clone(), info),
            guard,
        ));
        let merged = match self.paths.remove(path) {
            Some(existing) => existing.merge(guarded),
            None => guarded,
        };
        self.paths.insert(path, merged);
        self.served.push(info);
        Ok(self)
    }

    /// Serves the modules' handlers, each as [`Routes::add`] does.
    pub(crate) fn modules(self, routes: Vec<Route>) -> Result<Self, RouteError> {
        routes.into_iter().try_fold(self, |routes, route| {
            let (method, path) = (route.method.clone(), route.path);
            routes.add(&method, path, route.into_handler().with_state(()))
        })
    }

    /// The router, once every declared route is served.
    pub(crate) fn finish(self) -> Result<Router<AppState>, RouteError> {
        all_served(&self.state.registry, &self.served)?;
        Ok(self
            .paths
            .into_iter()
            .fold(Router::new(), |router, (path, methods)| {
                router.route(path, methods)
            }))
    }
}

/// `path` with every parameter's name left out (`/v1/users/{}`): how the router matches it.
fn shape(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment.strip_prefix('{') {
            Some(rest) if rest.starts_with('*') => "{*}",
            Some(_) => "{}",
            None => segment,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// What the manifests declare for `method` on `path`.
fn declared(
    registry: &Registry,
    method: &str,
    path: &str,
) -> Result<&'static RouteInfo, RouteError> {
    registry
        .route(method, path)
        .ok_or_else(|| RouteError::Undeclared {
            method: method.to_owned(),
            path: path.to_owned(),
        })
}

/// Fails naming the first declared route missing from `served`.
fn all_served(registry: &Registry, served: &[&'static RouteInfo]) -> Result<(), RouteError> {
    match registry
        .routes()
        .find(|r| !served.iter().any(|s| std::ptr::eq(*s, *r)))
    {
        Some(missing) => Err(RouteError::Unserved {
            module: missing.module.to_owned(),
            method: missing.method.to_owned(),
            path: missing.path.to_owned(),
        }),
        None => Ok(()),
    }
}

/// Authenticates the caller (and for a permission route, checks it), then hands the caller to
/// the handler through the request's extensions, where `plinth_infra_edge::Caller` reads it.
/// On a public route a caller who sends a valid token is handed on too; an invalid one is
/// ignored there (the route asks nothing of it).
async fn guard(
    State((state, info)): State<(AppState, &'static RouteInfo)>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    if let Err(e) = state.limits.admit(&parts, info) {
        return e.into_response();
    }
    if info.access == Access::Public {
        if bearer(&parts).is_some()
            && let Ok(caller) = authenticate(&parts, &state).await
        {
            hand_on(&mut parts, caller);
        }
        return next.run(Request::from_parts(parts, body)).await;
    }
    let caller = match authenticate(&parts, &state).await {
        Ok(caller) => caller,
        Err(e) => return e.into_response(),
    };
    if let Access::Permission(permission) = info.access
        && !owns(&mut parts, &state, info, &caller).await
    {
        // A token naming an authz write (a grant, say) makes the guard decide only once the
        // view has applied it; tokens of other views, or of no committed write, are left to
        // the handler.
        let consistency = match Consistency::from_request_parts(&mut parts, &()).await {
            Ok(consistency) => consistency,
            Err(e) => return e.into_response(),
        };
        if let Some(token) = &consistency.token
            && state.authorizer.decides_on(token)
            && state
                .freshness
                .committed(token, &caller.tenant)
                .await
                .is_ok()
            && !state
                .authorizer
                .wait_for(token, state.consistency_wait)
                .await
        {
            return ApiError::NotYetConsistent.into_response();
        }
        // A sensitive permission (managing access, disabling users, reading the audit trail)
        // is decided only once the view has applied every committed event of the caller's
        // bindings and their roles: a revocation committed anywhere is enforced even while the
        // relay or this gateway's feed is behind.
        if permission.is_sensitive()
            && let Err(e) = state
                .authorizer
                .current_for(caller.user_id, state.consistency_wait)
                .await
        {
            return e.into_response();
        }
        // A route acting on one resource is decided on that resource, with the owner its module
        // resolves: owner-only, scoped and time-bounded bindings apply here.
        // A resource the module does not know (in the caller's tenant) is decided without one:
        // who may not act here learns nothing (403), who may gets a 404 below.
        let (resource, missing) = match route_resource(&mut parts, &state, info, &caller).await {
            Ok(Target::None) => (None, None),
            Ok(Target::Found(resource)) => (Some(resource), None),
            Ok(Target::Missing(what)) => (None, Some(what)),
            Err(e) => return e.into_response(),
        };
        let decision = state
            .authorizer
            .check(
                Subject {
                    user_id: caller.user_id,
                    tenant: &caller.tenant,
                },
                permission,
                resource
                    .as_ref()
                    .map(|(resource_type, id, owner)| ResourceRef {
                        resource_type,
                        id,
                        owner: *owner,
                    }),
            )
            .await;
        debug!(%permission, allowed = decision.allowed, reason = decision.reason, "Permission checked.");
        if !decision.allowed {
            // Recorded in the background, repeats gathered: a client hammering a forbidden
            // route does not turn each request into a write.
            let (decided, metadata) = decided(
                &parts,
                info,
                &caller,
                permission,
                &decision,
                resource.as_ref(),
            );
            state.authorizer.record_denial(decided, metadata);
            return ApiError::Forbidden(decision.reason).into_response();
        }
        if let Some(what) = missing {
            return ApiError::NotFound(what).into_response();
        }
        if permission.is_sensitive() {
            let (decided, metadata) = decided(
                &parts,
                info,
                &caller,
                permission,
                &decision,
                resource.as_ref(),
            );
            // Audit fails closed: an allowed sensitive action that cannot be recorded does not run.
            if let Err(e) = state.authorizer.record(decided, &metadata).await {
                return e.into_response();
            }
        }
    }
    hand_on(&mut parts, caller);
    next.run(Request::from_parts(parts, body)).await
}

/// Leaves `caller` for the handler, and the request's metadata acting as them in their tenant.
fn hand_on(parts: &mut http::request::Parts, caller: Caller) {
    tracing::Span::current().record("user", tracing::field::display(caller.user_id));
    if let Some(RequestMetadata(metadata)) = parts.extensions.remove::<RequestMetadata>() {
        parts
            .extensions
            .insert(RequestMetadata(caller.acting(metadata)));
    }
    parts.extensions.insert(caller);
}

/// A decision as recorded for audit: who, what, the route, and the client; with the metadata
/// to record it under.
fn decided(
    parts: &http::request::Parts,
    info: &RouteInfo,
    caller: &Caller,
    permission: Permission,
    decision: &Decision,
    resource: Option<&(&str, String, Option<Uuid>)>,
) -> (AccessRecord, CommandMetadata) {
    let metadata = match parts.extensions.get::<RequestMetadata>() {
        Some(RequestMetadata(metadata)) => metadata.clone(),
        None => CommandMetadata::new(caller.tenant.clone(), Actor::Anonymous, Uuid::now_v7()),
    };
    let decided = AccessRecord {
        tenant: caller.tenant.clone(),
        subject: caller.user_id,
        permission,
        resource: resource.map(|(resource_type, id, _)| ((*resource_type).to_owned(), id.clone())),
        allowed: decision.allowed,
        reason: decision.reason.clone(),
        route: Some(format!("{} {}", info.method, info.path)),
        source_ip: parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string()),
        user_agent: parts
            .headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(512).collect()),
        at: chrono::Utc::now(),
    };
    (decided, caller.acting(metadata))
}

/// The resource a route acts on.
enum Target {
    /// The route acts on no resource.
    None,
    /// Its type, its id from the path, and its owner as its module resolves it.
    Found((&'static str, String, Option<Uuid>)),
    /// The module knows no such resource in the caller's tenant: what to answer.
    Missing(String),
}

/// The resource the route acts on, as its module resolves it.
async fn route_resource(
    parts: &mut http::request::Parts,
    state: &AppState,
    info: &RouteInfo,
    caller: &Caller,
) -> Result<Target, ApiError> {
    let Some(resource) = info.resource else {
        return Ok(Target::None);
    };
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|e| ApiError::Internal(format!("path parameters: {e}")))?;
    let Some((_, id)) = params.iter().find(|(name, _)| *name == resource.param) else {
        return Err(ApiError::Internal(format!(
            "the path has no parameter {}",
            resource.param
        )));
    };
    let id = id.to_owned();
    let resolver = state
        .resources
        .get(resource.resource_type)
        .ok_or_else(|| ApiError::Internal(format!("no resolver for {}", resource.resource_type)))?;
    let resolved = resolver
        .resolve(&caller.tenant, &id)
        .await
        .map_err(|e| ApiError::Unavailable(format!("resolving {}: {e}", resource.resource_type)))?;
    // Another tenant's resource is never acted on through this route.
    Ok(match resolved {
        Some(resolved) => Target::Found((resource.resource_type, id, resolved.owner)),
        None => Target::Missing(format!("no {} {id}", resource.resource_type)),
    })
}

/// Whether the route names the caller in its `owner_param` (users may act on themselves).
async fn owns(
    parts: &mut http::request::Parts,
    state: &AppState,
    info: &RouteInfo,
    caller: &Caller,
) -> bool {
    let Some(param) = info.owner_param else {
        return false;
    };
    let Ok(params) = RawPathParams::from_request_parts(parts, state).await else {
        return false;
    };
    params
        .iter()
        .any(|(name, value)| name == param && value == caller.user_id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> Registry {
        Registry::new([&crate::MANIFEST]).unwrap()
    }

    #[test]
    fn a_route_no_manifest_declares_is_refused_by_name() {
        let registry = registry();
        let error = declared(&registry, "DELETE", "/healthz").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("route DELETE /healthz is not declared in any module manifest"),
            "{error}"
        );
        assert!(declared(&registry, "GET", "/healthz").is_ok());
    }

    #[test]
    fn paths_that_differ_only_in_parameter_names_have_one_shape() {
        assert_eq!(
            shape("/v1/posts/{id}/comments"),
            shape("/v1/posts/{post}/comments")
        );
        assert_ne!(shape("/v1/posts/{id}"), shape("/v1/posts/{id}/comments"));
        assert_ne!(shape("/v1/posts/{id}"), shape("/v1/posts/new"));
    }

    #[test]
    fn a_declared_route_nobody_serves_is_refused_by_name() {
        let registry = registry();
        let all: Vec<&'static RouteInfo> = registry.routes().collect();
        assert_eq!(all_served(&registry, &all), Ok(()));
        let error = all_served(&registry, &all[1..]).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "route {} {} is declared by module {} but nothing serves it",
                all[0].method, all[0].path, all[0].module
            )
        );
    }
}
