//! Bindings of the caller's tenant (bind, unbind), and the reads about them: a subject's
//! bindings, a subject's effective permissions, and the subjects holding a permission.

use axum::Json;
use axum::extract::State;
use http::StatusCode;
use plinth_domain_authz::{RoleRef, Scope};
use plinth_infra_edge::{
    ApiError, Body, Caller, Consistency, ConsistencyHeader, FieldError, FieldErrors, FromBody,
    NoContext, Problem, RequestMetadata, WithToken, Written, rfc3339,
};
use plinth_infra_edge::{Path, Query};
use plinth_projections_authz::{BindingInfo, Held, Holder};
use plinth_services_authz_api::NewBinding;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::roles::Done;
use super::{Authz, Enforced, PageQuery, instant, subject_id};

/// What a binding is limited to.
#[derive(Serialize, ToSchema)]
#[schema(as = Scope)]
pub(crate) struct ScopeBody {
    #[serde(rename = "type")]
    kind: String,
    id: Option<String>,
}

/// A binding as the API shows it.
#[derive(Serialize, ToSchema)]
#[schema(as = Binding)]
pub(crate) struct BindingBody {
    id: Uuid,
    tenant: String,
    subject: Uuid,
    role: String,
    /// `null` for the whole tenant.
    scope: Option<ScopeBody>,
    owner_only: bool,
    valid_from: Option<String>,
    valid_until: Option<String>,
    active: bool,
}

impl From<BindingInfo> for BindingBody {
    fn from(binding: BindingInfo) -> Self {
        Self {
            id: binding.id,
            tenant: binding.tenant,
            subject: binding.subject,
            role: binding.role,
            scope: binding.resource_type.map(|kind| ScopeBody {
                kind,
                id: binding.resource_id,
            }),
            owner_only: binding.owner_only,
            valid_from: binding.valid_from.map(rfc3339),
            valid_until: binding.valid_until.map(rfc3339),
            active: binding.active,
        }
    }
}

/// `{subject, role, scope?: {type, id?}, owner_only?, valid_from?, valid_until?}`.
pub(crate) struct Bind(NewBinding);

/// A binding to make.
#[derive(Deserialize, ToSchema)]
#[schema(as = NewBinding)]
pub(crate) struct RawBind {
    /// The user bound.
    #[schema(required = true, value_type = String, format = Uuid)]
    subject: Option<String>,
    /// `owner`, `admin`, `member`, `platform-admin`, or a custom role's id.
    #[schema(required = true, value_type = String, example = "admin")]
    role: Option<String>,
    /// Only for resources of a type (and one resource of it, with `id`); the whole tenant when
    /// absent.
    scope: Option<RawScope>,
    /// Only on resources the subject owns.
    owner_only: Option<bool>,
    /// Not before (RFC 3339).
    #[schema(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    valid_from: Option<String>,
    /// Not after (RFC 3339; later than `valid_from`, and not passed).
    #[schema(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    valid_until: Option<String>,
}

/// What a binding is limited to.
#[derive(Deserialize, ToSchema)]
#[schema(as = BindingScope)]
pub(crate) struct RawScope {
    /// A resource type (`blog.post`), 1 to 128 characters.
    #[serde(rename = "type")]
    #[schema(required = true, value_type = String, example = "blog.post")]
    kind: Option<String>,
    /// One resource of it, 1 to 256 characters.
    id: Option<String>,
}

/// `scope: {type, id?}`, absent or null for the whole tenant.
fn scope(errors: &mut FieldErrors, raw: Option<RawScope>) -> Option<Scope> {
    let Some(raw) = raw else {
        return Some(Scope::Tenant);
    };
    let kind = errors.required("scope.type", raw.kind, |k| {
        if k.is_empty() || k.len() > 128 {
            Err("must be 1 to 128 characters")
        } else {
            Ok(k)
        }
    });
    let id = match raw.id {
        None => Some(None),
        Some(id) => errors.parsed("scope.id", id, |id| {
            if id.is_empty() || id.len() > 256 {
                Err("must be a string of 1 to 256 characters")
            } else {
                Ok(Some(id))
            }
        }),
    };
    Some(match (kind?, id?) {
        (kind, None) => Scope::ResourceType(kind),
        (resource_type, Some(id)) => Scope::Resource { resource_type, id },
    })
}

impl FromBody for Bind {
    type Raw = RawBind;
    type Context = NoContext;
    fn from_body(raw: RawBind, _: &NoContext) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let subject = errors.required("subject", raw.subject, |s| {
            Uuid::try_parse(&s).map_err(|_| "must be a UUID")
        });
        let role = errors.required("role", raw.role, |r| {
            RoleRef::parse(&r)
                .ok_or("must be owner, admin, member, platform-admin or a custom role's id")
        });
        let scope = scope(&mut errors, raw.scope);
        let valid_from = instant(&mut errors, "valid_from", raw.valid_from);
        let valid_until = instant(&mut errors, "valid_until", raw.valid_until);
        errors.finish(|| {
            Some(Self(NewBinding {
                subject: subject?,
                role: role?,
                scope: scope?,
                owner_only: raw.owner_only.unwrap_or(false),
                valid_from,
                valid_until,
            }))
        })
    }
}

/// A binding made: its id.
#[derive(Serialize, ToSchema)]
#[schema(as = BindingCreated)]
pub(crate) struct Bound {
    id: Uuid,
}

/// `POST /v1/authz/bindings {subject, role, scope?, owner_only?, valid_from?, valid_until?}`
/// → 201 `{id, enforced, consistency_token}`.
#[utoipa::path(
    post,
    path = "/v1/authz/bindings",
    tag = "authz",
    summary = "Bind a user to a role",
    request_body = RawBind,
    responses(
        (status = 201, description = "Bound, and enforced by this gateway's guards.", body = WithToken<Enforced<Bound>>),
        (status = 202, description = "Bound; this gateway's guards do not enforce it yet (`enforced` is false).", body = WithToken<Enforced<Bound>>),
        (status = 403, description = "The caller lacks authz.binding.manage, or binds platform-admin without being a platform administrator (recorded for audit).", content_type = "application/problem+json", body = Problem),
        (status = 409, description = "The binding exists.", content_type = "application/problem+json", body = Problem),
    )
)]
pub(crate) async fn bind(
    State(authz): State<Authz>,
    _caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    Body(Bind(binding)): Body<Bind>,
) -> Result<Written<Enforced<Bound>>, ApiError> {
    let (id, token) = authz.service.bind(binding, &metadata).await?;
    Ok(authz
        .written(StatusCode::CREATED, token, Bound { id })
        .await)
}

/// `DELETE /v1/authz/bindings/{id}` → 200 `{enforced, consistency_token}`.
#[utoipa::path(
    delete,
    path = "/v1/authz/bindings/{id}",
    tag = "authz",
    summary = "Remove a binding",
    params(("id" = String, Path, description = "The binding's id (a UUID).")),
    responses(
        (status = 200, description = "Removed, and enforced by this gateway's guards.", body = WithToken<Enforced<Done>>),
        (status = 202, description = "Removed; this gateway's guards do not enforce it yet (`enforced` is false).", body = WithToken<Enforced<Done>>),
        (status = 403, description = "The caller lacks authz.binding.manage, or unbinds platform-admin without being a platform administrator (recorded for audit).", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "No such binding in the tenant.", content_type = "application/problem+json", body = Problem),
    )
)]
pub(crate) async fn unbind(
    State(authz): State<Authz>,
    _caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    Path(id): Path<String>,
) -> Result<Written<Enforced<Done>>, ApiError> {
    let id = Uuid::try_parse(&id).map_err(|_| ApiError::NotFound(format!("no binding {id}")))?;
    let token = authz.service.unbind(id, &metadata).await?;
    Ok(authz.written(StatusCode::OK, token, Done {}).await)
}

/// `GET /v1/authz/subjects/{id}/bindings` → `{bindings, next_cursor}`: every binding of the
/// subject that applies in the tenant, active or not.
#[utoipa::path(
    get,
    path = "/v1/authz/subjects/{id}/bindings",
    tag = "authz",
    summary = "A user's bindings",
    params(("id" = String, Path, description = "The user's id (a UUID)."), PageQuery, ConsistencyHeader),
    responses((status = 200, description = "A page of the user's bindings in the tenant, active or not.", body = BindingPage))
)]
pub(crate) async fn of_subject(
    State(authz): State<Authz>,
    caller: Caller,
    consistency: Consistency,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Json<BindingPage>, ApiError> {
    let subject = subject_id(&id)?;
    let (tenant, now) = (caller.tenant.as_str(), chrono::Utc::now());
    authz
        .listing(
            &consistency,
            &caller.tenant,
            &query,
            |p, after, limit| p.subject_bindings(tenant, subject, now, after, limit),
            BindingBody::from,
            |bindings, next_cursor| BindingPage {
                bindings,
                next_cursor,
            },
        )
        .await
}

/// A permission a subject holds.
#[derive(Serialize, ToSchema)]
#[schema(as = HeldPermission)]
pub(crate) struct HeldBody {
    permission: String,
    /// The bindings that give it.
    bindings: Vec<Uuid>,
    /// Every binding giving it is limited to a scope or to owned resources.
    conditional: bool,
}

/// `GET /v1/authz/subjects/{id}/permissions` → `{permissions: [{permission, bindings,
/// conditional}], next_cursor}`: what the subject holds now.
#[utoipa::path(
    get,
    path = "/v1/authz/subjects/{id}/permissions",
    tag = "authz",
    summary = "What a user holds now",
    params(("id" = String, Path, description = "The user's id (a UUID)."), PageQuery, ConsistencyHeader),
    responses((status = 200, description = "A page of the permissions the user holds now; `conditional` when every binding giving one is limited to a scope or to owned resources.", body = HeldPage))
)]
pub(crate) async fn effective(
    State(authz): State<Authz>,
    caller: Caller,
    consistency: Consistency,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Json<HeldPage>, ApiError> {
    let subject = subject_id(&id)?;
    let (tenant, now) = (caller.tenant.as_str(), chrono::Utc::now());
    authz
        .listing(
            &consistency,
            &caller.tenant,
            &query,
            |p, after, limit| p.effective_permissions(tenant, subject, now, after, limit),
            |h: Held| HeldBody {
                permission: h.permission,
                bindings: h.bindings,
                conditional: h.conditional,
            },
            |permissions, next_cursor| HeldPage {
                permissions,
                next_cursor,
            },
        )
        .await
}

/// A subject holding a permission.
#[derive(Serialize, ToSchema)]
#[schema(as = Holder)]
pub(crate) struct HolderBody {
    subject: Uuid,
    bindings: Vec<Uuid>,
    conditional: bool,
}

/// `GET /v1/authz/permissions/{permission}/subjects` → `{subjects: [{subject, bindings,
/// conditional}], next_cursor}`: who holds the permission in the tenant now.
#[utoipa::path(
    get,
    path = "/v1/authz/permissions/{permission}/subjects",
    tag = "authz",
    summary = "Who holds a permission now",
    params(("permission" = String, Path, description = "A declared permission's name.", example = "identity.user.read"), PageQuery, ConsistencyHeader),
    responses(
        (status = 200, description = "A page of the users holding the permission in the tenant now.", body = HolderPage),
        (status = 404, description = "No module declares that permission.", content_type = "application/problem+json", body = Problem),
    )
)]
pub(crate) async fn holders(
    State(authz): State<Authz>,
    caller: Caller,
    consistency: Consistency,
    Path(permission): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Json<HolderPage>, ApiError> {
    let Some(permission) = authz.registry.parse(&permission) else {
        return Err(ApiError::NotFound(format!(
            "{permission:?} is not a permission any module declares"
        )));
    };
    let (tenant, now) = (caller.tenant.as_str(), chrono::Utc::now());
    authz
        .listing(
            &consistency,
            &caller.tenant,
            &query,
            |p, after, limit| p.holders(tenant, permission.as_str(), now, after, limit),
            |h: Holder| HolderBody {
                subject: h.subject,
                bindings: h.bindings,
                conditional: h.conditional,
            },
            |subjects, next_cursor| HolderPage {
                subjects,
                next_cursor,
            },
        )
        .await
}

/// A page of bindings.
#[derive(Serialize, ToSchema)]
pub(crate) struct BindingPage {
    bindings: Vec<BindingBody>,
    /// Where the next page starts; `null` on the last one.
    next_cursor: Option<String>,
}

/// A page of permissions held.
#[derive(Serialize, ToSchema)]
pub(crate) struct HeldPage {
    permissions: Vec<HeldBody>,
    /// Where the next page starts; `null` on the last one.
    next_cursor: Option<String>,
}

/// A page of holders.
#[derive(Serialize, ToSchema)]
pub(crate) struct HolderPage {
    subjects: Vec<HolderBody>,
    /// Where the next page starts; `null` on the last one.
    next_cursor: Option<String>,
}
