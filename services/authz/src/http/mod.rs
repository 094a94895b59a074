//! `/v1/authz`: the check API (`check.rs`), role administration (`roles.rs`), and bindings
//! with the reads about subjects and permissions (`bindings.rs`), written with
//! `plinth-infra-edge` like every module's handlers. Reads come from the in-memory authz view;
//! a write answers once the view the gateway's guards decide with has applied it (bounded by
//! `gateway.consistency_wait_ms`; past that, 202 with `"enforced": false`) and always returns
//! its consistency token, which other gateways' reads and checks accept in the
//! `Consistency-Token` header. Writes take the `Caller` (unused but for that): they run for a
//! verified caller only, acting as them, whatever a manifest might say of their route.

mod bindings;
mod check;
mod roles;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::FromRef;
use http::{Method, StatusCode};
use plinth_domain_core::{ConsistencyToken, TenantId};
use plinth_domain_permissions::{Permission, Registry};
use plinth_infra_edge::{ApiError, Consistency, FieldError, FieldErrors, Written};
use plinth_infra_module::Http;
use plinth_projections_authz::{AGGREGATE_TYPES, AuthzView, Page, Policy};
use plinth_services_authz_api::AuthzApi;
use serde::{Deserialize, Serialize};
use tracing::warn;

/// What every handler uses.
#[derive(Clone)]
pub(crate) struct Authz {
    pub(crate) service: Arc<dyn AuthzApi>,
    /// The view the guards decide with.
    pub(crate) view: Arc<AuthzView>,
    /// Every declared permission (a body's permission names are parsed against it).
    pub(crate) registry: Arc<Registry>,
    /// How long a write waits for the view before answering 202.
    pub(crate) consistency_wait: Duration,
}

impl FromRef<Authz> for Arc<Registry> {
    fn from_ref(authz: &Authz) -> Self {
        authz.registry.clone()
    }
}

/// The routes' operations, from the handlers' types.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    check::check,
    check::batch,
    roles::list,
    roles::create,
    roles::get,
    roles::rename,
    roles::delete,
    roles::grant,
    roles::revoke,
    roles::include,
    roles::exclude,
    bindings::bind,
    bindings::unbind,
    bindings::of_subject,
    bindings::effective,
    bindings::holders,
))]
struct AuthzDocument;

/// The handlers, one per route `module.toml` declares, and their documentation.
pub(crate) fn routes(authz: &Authz) -> Http {
    use utoipa::OpenApi;
    Http::default()
        .documented(AuthzDocument::openapi())
        .route(Method::POST, "/v1/authz/check", check::check, authz.clone())
        .route(
            Method::POST,
            "/v1/authz/check/batch",
            check::batch,
            authz.clone(),
        )
        .route(Method::GET, "/v1/authz/roles", roles::list, authz.clone())
        .route(
            Method::POST,
            "/v1/authz/roles",
            roles::create,
            authz.clone(),
        )
        .route(
            Method::GET,
            "/v1/authz/roles/{id}",
            roles::get,
            authz.clone(),
        )
        .route(
            Method::PATCH,
            "/v1/authz/roles/{id}",
            roles::rename,
            authz.clone(),
        )
        .route(
            Method::DELETE,
            "/v1/authz/roles/{id}",
            roles::delete,
            authz.clone(),
        )
        .route(
            Method::POST,
            "/v1/authz/roles/{id}/grant",
            roles::grant,
            authz.clone(),
        )
        .route(
            Method::POST,
            "/v1/authz/roles/{id}/revoke",
            roles::revoke,
            authz.clone(),
        )
        .route(
            Method::POST,
            "/v1/authz/roles/{id}/include",
            roles::include,
            authz.clone(),
        )
        .route(
            Method::POST,
            "/v1/authz/roles/{id}/exclude",
            roles::exclude,
            authz.clone(),
        )
        .route(
            Method::POST,
            "/v1/authz/bindings",
            bindings::bind,
            authz.clone(),
        )
        .route(
            Method::DELETE,
            "/v1/authz/bindings/{id}",
            bindings::unbind,
            authz.clone(),
        )
        .route(
            Method::GET,
            "/v1/authz/subjects/{id}/bindings",
            bindings::of_subject,
            authz.clone(),
        )
        .route(
            Method::GET,
            "/v1/authz/subjects/{id}/permissions",
            bindings::effective,
            authz.clone(),
        )
        .route(
            Method::GET,
            "/v1/authz/permissions/{permission}/subjects",
            bindings::holders,
            authz.clone(),
        )
}

/// A written body and whether the guards enforce the write yet.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Enforced<T> {
    #[serde(flatten)]
    body: T,
    /// The view the guards decide with has applied the write.
    enforced: bool,
}

impl Authz {
    /// The answer to a committed write: `body` with its token, once the view has applied it
    /// (`status`). When the wait is up first, the write is committed but not yet enforced
    /// here: 202 Accepted, with `"enforced": false`, so no client takes a revocation for done
    /// while the guards still decide without it. (Sensitive permissions are refused meanwhile:
    /// the guards wait for the view to catch up.)
    pub(crate) async fn written<T: Serialize>(
        &self,
        status: StatusCode,
        token: ConsistencyToken,
        body: T,
    ) -> Written<Enforced<T>> {
        let enforced = self.view.wait_for(&token, self.consistency_wait).await;
        let status = if enforced {
            status
        } else {
            warn!(%token, "The authz view has not applied a write yet; answering 202 with its token.");
            StatusCode::ACCEPTED
        };
        Written {
            status,
            token,
            body: Enforced { body, enforced },
        }
    }

    /// Waits for the authz write the request's `Consistency-Token` names, if it names one; a
    /// token of another view, or none committed in `tenant`, is a bad header.
    pub(crate) async fn caught_up(
        &self,
        consistency: &Consistency,
        tenant: &TenantId,
    ) -> Result<(), ApiError> {
        let Some(token) = consistency.committed(tenant, &AGGREGATE_TYPES).await? else {
            return Ok(());
        };
        if self.view.wait_for(token, self.consistency_wait).await {
            Ok(())
        } else {
            Err(ApiError::NotYetConsistent)
        }
    }
}

/// `?limit=&cursor=` of the authz listings.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageQuery {
    /// 1 to 200; 50 if absent.
    #[param(value_type = Option<u16>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 200;

impl PageQuery {
    /// The page size (1–200, 50 if absent) and the cursor, or the fields' errors.
    fn parse(&self) -> Result<(usize, Option<&str>), ApiError> {
        let mut errors = FieldErrors::default();
        let limit = match self.limit.as_deref() {
            None => Some(DEFAULT_LIMIT),
            Some(text) => errors.parsed("limit", text, |t| {
                t.parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or(format!("must be a whole number from 1 to {MAX_LIMIT}"))
            }),
        };
        let cursor = self.cursor.as_deref().filter(|c| !c.is_empty());
        if cursor.is_some_and(|c| c.len() > 256) {
            errors.push("cursor", "must be the next_cursor of a previous page");
        }
        errors
            .finish(|| limit.map(|limit| (limit, cursor)))
            .map_err(ApiError::Validation)
    }
}

impl Authz {
    /// One page read from the view once the request's `Consistency-Token` (if any) is applied,
    /// answered as `page` makes it of the items and the next page's cursor.
    pub(crate) async fn listing<I, T, P>(
        &self,
        consistency: &Consistency,
        tenant: &TenantId,
        query: &PageQuery,
        read: impl FnOnce(&Policy, Option<&str>, usize) -> Page<I>,
        item: impl Fn(I) -> T,
        page: fn(Vec<T>, Option<String>) -> P,
    ) -> Result<Json<P>, ApiError> {
        let (limit, after) = query.parse()?;
        self.caught_up(consistency, tenant).await?;
        let read = self.view.read(|policy| read(policy, after, limit));
        Ok(Json(page(
            read.items.into_iter().map(item).collect(),
            read.next,
        )))
    }
}

/// A non-empty array (or, when not `required`, possibly absent or empty) of declared
/// permission names; each bad entry is named (`permissions[2]`).
pub(crate) fn permissions(
    registry: &Registry,
    errors: &mut FieldErrors,
    field: &str,
    names: Option<Vec<String>>,
    required: bool,
) -> Option<BTreeSet<Permission>> {
    let names = match names {
        None if !required => return Some(BTreeSet::new()),
        Some(names) if !names.is_empty() || !required => names,
        _ => {
            errors.push(field, "must be a non-empty array of permission names");
            return None;
        }
    };
    let mut set = BTreeSet::new();
    let mut bad = false;
    for (i, name) in names.iter().enumerate() {
        if let Some(p) = registry.parse(name) {
            set.insert(p);
        } else {
            bad = true;
            errors.push(
                &format!("{field}[{i}]"),
                format!("{name:?} is not a permission any module declares"),
            );
        }
    }
    (!bad).then_some(set)
}

/// An optional RFC 3339 instant; a malformed one is recorded under `field` (and is `None`).
pub(crate) fn instant(
    errors: &mut FieldErrors,
    field: &str,
    text: Option<String>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    errors.parsed(field, text?, |t| {
        chrono::DateTime::parse_from_rfc3339(&t)
            .map(|at| at.with_timezone(&chrono::Utc))
            .map_err(|_| "must be an RFC 3339 instant (2026-11-24T12:00:00Z)")
    })
}

/// A path's subject id: a 422 naming it otherwise.
pub(crate) fn subject_id(id: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::try_parse(id)
        .map_err(|_| ApiError::Validation(vec![FieldError::new("id", "must be a user's id")]))
}
