//! Routes built from the module manifests. Each route is registered with [`Routes::add`], which
//! looks up what its manifest requires and wraps the handler in the matching guard; a route no
//! manifest declares, or a declared route nothing serves, stops the gateway from starting.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{FromRequestParts, RawPathParams, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use plinth_domain_permissions::{Access, ROUTES, RouteInfo};
use tracing::debug;

use crate::authorize::Subject;
use crate::context::Caller;
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
        let info = declared(method.as_str(), path)?;
        let guarded = match info.access {
            Access::Public => handler,
            Access::Authenticated | Access::Permission(_) => handler.route_layer(
                axum::middleware::from_fn_with_state((self.state.clone(), info), guard),
            ),
        };
        let merged = match self.paths.remove(path) {
            Some(existing) => existing.merge(guarded),
            None => guarded,
        };
        self.paths.insert(path, merged);
        self.served.push(info);
        Ok(self)
    }

    /// The router, once every declared route is served.
    pub(crate) fn finish(self) -> Result<Router<AppState>, RouteError> {
        all_served(&self.served)?;
        Ok(self
            .paths
            .into_iter()
            .fold(Router::new(), |router, (path, methods)| {
                router.route(path, methods)
            }))
    }
}

/// What the manifests declare for `method` on `path`.
fn declared(method: &str, path: &str) -> Result<&'static RouteInfo, RouteError> {
    plinth_domain_permissions::route(method, path).ok_or_else(|| RouteError::Undeclared {
        method: method.to_owned(),
        path: path.to_owned(),
    })
}

/// Fails naming the first declared route missing from `served`.
fn all_served(served: &[&'static RouteInfo]) -> Result<(), RouteError> {
    match ROUTES
        .iter()
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
/// the handler through the request's extensions.
async fn guard(
    State((state, info)): State<(AppState, &'static RouteInfo)>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let caller = match Caller::from_request_parts(&mut parts, &state).await {
        Ok(caller) => caller,
        Err(e) => return e.into_response(),
    };
    if let Access::Permission(permission) = info.access
        && !owns(&mut parts, &state, info, &caller).await
    {
        let decision = state
            .authorizer
            .check(
                Subject {
                    user_id: caller.user_id,
                    tenant: &caller.tenant,
                },
                permission,
                None,
            )
            .await;
        debug!(%permission, allowed = decision.allowed, reason = decision.reason, "Permission checked.");
        if !decision.allowed {
            return ApiError::Forbidden(decision.reason).into_response();
        }
    }
    parts.extensions.insert(caller);
    next.run(Request::from_parts(parts, body)).await
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

    #[test]
    fn a_route_no_manifest_declares_is_refused_by_name() {
        let error = declared("DELETE", "/v1/users/{id}").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("route DELETE /v1/users/{id} is not declared in any module manifest"),
            "{error}"
        );
        assert!(declared("GET", "/v1/users/{id}").is_ok());
    }

    #[test]
    fn a_declared_route_nobody_serves_is_refused_by_name() {
        let all: Vec<&'static RouteInfo> = ROUTES.iter().collect();
        assert_eq!(all_served(&all), Ok(()));
        let error = all_served(&all[1..]).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "route {} {} is declared by module {} but nothing serves it",
                ROUTES[0].method, ROUTES[0].path, ROUTES[0].module
            )
        );
    }
}
