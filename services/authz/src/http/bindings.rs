//! Bindings of the caller's tenant (bind, unbind), and the reads about them: a subject's
//! bindings, a subject's effective permissions, and the subjects holding a permission.

use axum::Json;
use axum::extract::{Path, Query, State};
use http::StatusCode;
use plinth_domain_authz::{RoleRef, Scope};
use plinth_infra_edge::{
    ApiError, Body, Caller, Consistency, FieldError, FieldErrors, FromBody, NoContext,
    RequestMetadata, Written, rfc3339,
};
use plinth_projections_authz::{BindingInfo, Held, Holder};
use plinth_services_authz_api::NewBinding;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::roles::Done;
use super::{Authz, Enforced, Items, Listed, PageQuery, instant, subject_id};

/// What a binding is limited to.
#[derive(Serialize)]
pub(crate) struct ScopeBody {
    #[serde(rename = "type")]
    kind: String,
    id: Option<String>,
}

/// A binding as the API shows it.
#[derive(Serialize)]
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

#[derive(Deserialize)]
pub(crate) struct RawBind {
    subject: Option<String>,
    role: Option<String>,
    scope: Option<RawScope>,
    owner_only: Option<bool>,
    valid_from: Option<String>,
    valid_until: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct RawScope {
    #[serde(rename = "type")]
    kind: Option<String>,
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
#[derive(Serialize)]
pub(crate) struct Bound {
    id: Uuid,
}

/// `POST /v1/authz/bindings {subject, role, scope?, owner_only?, valid_from?, valid_until?}`
/// → 201 `{id, enforced, consistency_token}`.
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
pub(crate) async fn of_subject(
    State(authz): State<Authz>,
    caller: Caller,
    consistency: Consistency,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Listed<BindingBody>>, ApiError> {
    let subject = subject_id(&id)?;
    let (tenant, now) = (caller.tenant.as_str(), chrono::Utc::now());
    authz
        .listing(
            &consistency,
            &caller.tenant,
            &query,
            Items::Bindings,
            |p, after, limit| p.subject_bindings(tenant, subject, now, after, limit),
            BindingBody::from,
        )
        .await
}

/// A permission a subject holds.
#[derive(Serialize)]
pub(crate) struct HeldBody {
    permission: String,
    /// The bindings that give it.
    bindings: Vec<Uuid>,
    /// Every binding giving it is limited to a scope or to owned resources.
    conditional: bool,
}

/// `GET /v1/authz/subjects/{id}/permissions` → `{permissions: [{permission, bindings,
/// conditional}], next_cursor}`: what the subject holds now.
pub(crate) async fn effective(
    State(authz): State<Authz>,
    caller: Caller,
    consistency: Consistency,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Listed<HeldBody>>, ApiError> {
    let subject = subject_id(&id)?;
    let (tenant, now) = (caller.tenant.as_str(), chrono::Utc::now());
    authz
        .listing(
            &consistency,
            &caller.tenant,
            &query,
            Items::Permissions,
            |p, after, limit| p.effective_permissions(tenant, subject, now, after, limit),
            |h: Held| HeldBody {
                permission: h.permission,
                bindings: h.bindings,
                conditional: h.conditional,
            },
        )
        .await
}

/// A subject holding a permission.
#[derive(Serialize)]
pub(crate) struct HolderBody {
    subject: Uuid,
    bindings: Vec<Uuid>,
    conditional: bool,
}

/// `GET /v1/authz/permissions/{permission}/subjects` → `{subjects: [{subject, bindings,
/// conditional}], next_cursor}`: who holds the permission in the tenant now.
pub(crate) async fn holders(
    State(authz): State<Authz>,
    caller: Caller,
    consistency: Consistency,
    Path(permission): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Listed<HolderBody>>, ApiError> {
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
            Items::Subjects,
            |p, after, limit| p.holders(tenant, permission.as_str(), now, after, limit),
            |h: Holder| HolderBody {
                subject: h.subject,
                bindings: h.bindings,
                conditional: h.conditional,
            },
        )
        .await
}
