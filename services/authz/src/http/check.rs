//! `POST /v1/authz/check` and `/v1/authz/check/batch`: does a subject hold a permission in the
//! caller's tenant (on a resource)? Answered from the in-memory authz view through the same
//! port the guards decide with; a `Consistency-Token` from an authz write makes the check wait
//! until the view has applied it.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use plinth_domain_permissions::{Permission, Registry};
use plinth_infra_edge::{
    ApiError, Body, Caller, Checks, Consistency, ConsistencyHeader, FieldError, FieldErrors,
    FromBody, Problem, ResourceRef, Subject,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::Authz;

/// The most checks one batch may hold.
const MAX_BATCH: usize = 100;

/// One check, parsed.
pub(crate) struct Check {
    subject: Uuid,
    permission: Permission,
    /// Checks are answered in the caller's tenant; one naming another is refused.
    tenant: Option<String>,
    resource: Option<(String, String, Option<Uuid>)>,
}

/// Does `subject` hold `permission` (on `resource`)?
#[derive(Deserialize, ToSchema)]
#[schema(as = Check)]
pub(crate) struct RawCheck {
    /// The user asked about.
    #[schema(required = true, value_type = String, format = Uuid)]
    subject: Option<String>,
    /// A declared permission's name.
    #[schema(required = true, value_type = String, example = "blog.post.update")]
    permission: Option<String>,
    /// The caller's tenant; any other is refused (403).
    tenant: Option<String>,
    /// The resource the check is about.
    resource: Option<RawResource>,
}

/// A resource a check is about.
#[derive(Deserialize, ToSchema)]
#[schema(as = CheckResource)]
pub(crate) struct RawResource {
    /// Its type (`blog.post`).
    #[serde(rename = "type")]
    #[schema(required = true, value_type = String, example = "blog.post")]
    kind: Option<String>,
    #[schema(required = true, value_type = String)]
    id: Option<String>,
    /// Its owner, for bindings limited to owned resources.
    #[schema(value_type = Option<String>, format = Uuid)]
    owner: Option<String>,
}

impl Check {
    /// Parses `raw`; field names in errors carry `prefix` (`checks[3].`).
    fn parse(
        raw: RawCheck,
        registry: &Registry,
        prefix: &str,
        errors: &mut FieldErrors,
    ) -> Option<Self> {
        let field = |name: &str| format!("{prefix}{name}");
        let subject = errors.required(&field("subject"), raw.subject, |s| {
            Uuid::try_parse(&s).map_err(|_| "must be a UUID")
        });
        let permission = errors.required(&field("permission"), raw.permission, |name| {
            registry
                .parse(&name)
                .ok_or(format!("{name:?} is not a permission any module declares"))
        });
        let resource = match raw.resource {
            None => Some(None),
            Some(r) => {
                let kind = errors.present(&field("resource.type"), r.kind);
                let id = errors.present(&field("resource.id"), r.id);
                let owner = match r.owner {
                    None => Some(None),
                    Some(o) => errors.parsed(&field("resource.owner"), o, |o| {
                        Uuid::try_parse(&o).map(Some).map_err(|_| "must be a UUID")
                    }),
                };
                Some(Some((kind?, id?, owner?)))
            }
        };
        Some(Self {
            subject: subject?,
            permission: permission?,
            tenant: raw.tenant,
            resource: resource?,
        })
    }

    /// Refuses a check naming a tenant other than the caller's.
    fn in_tenant_of(&self, caller: &Caller) -> Result<(), ApiError> {
        match &self.tenant {
            Some(tenant) if tenant != caller.tenant.as_str() => Err(ApiError::Forbidden(format!(
                "checks are answered in the caller's tenant ({}), not {tenant}",
                caller.tenant
            ))),
            _ => Ok(()),
        }
    }
}

impl FromBody for Check {
    type Raw = RawCheck;
    type Context = Arc<Registry>;
    fn from_body(raw: RawCheck, registry: &Arc<Registry>) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let check = Check::parse(raw, registry, "", &mut errors);
        errors.finish(|| check)
    }
}

/// An answer.
#[derive(Serialize, ToSchema)]
#[schema(as = CheckAnswer)]
pub(crate) struct Answer {
    allowed: bool,
    /// The role or binding that granted it, or what is missing.
    reason: String,
}

async fn decide(checks: &Checks, caller: &Caller, check: &Check) -> Answer {
    let resource = check
        .resource
        .as_ref()
        .map(|(kind, id, owner)| ResourceRef {
            resource_type: kind,
            id,
            owner: *owner,
        });
    let subject = Subject {
        user_id: check.subject,
        tenant: &caller.tenant,
    };
    let decision = checks.check(subject, check.permission, resource).await;
    Answer {
        allowed: decision.allowed,
        reason: decision.reason,
    }
}

/// `POST /v1/authz/check {subject, permission, tenant?, resource?}` → `{allowed, reason}`.
#[utoipa::path(
    post,
    path = "/v1/authz/check",
    tag = "authz",
    summary = "Check a permission",
    params(ConsistencyHeader),
    request_body = RawCheck,
    responses(
        (status = 200, description = "The answer, and what decided it.", body = Answer),
        (status = 403, description = "The caller lacks authz.decision.check, or the check names another tenant.", content_type = "application/problem+json", body = Problem),
    )
)]
pub(crate) async fn check(
    State(authz): State<Authz>,
    caller: Caller,
    checks: Checks,
    consistency: Consistency,
    Body(check): Body<Check>,
) -> Result<Json<Answer>, ApiError> {
    check.in_tenant_of(&caller)?;
    authz.caught_up(&consistency, &caller.tenant).await?;
    Ok(Json(decide(&checks, &caller, &check).await))
}

/// `{checks: [...]}`: 1 to 100 checks.
pub(crate) struct Batch(Vec<Check>);

/// 1 to 100 checks.
#[derive(Deserialize, ToSchema)]
#[schema(as = CheckBatch)]
pub(crate) struct RawBatch {
    #[schema(required = true, value_type = Vec<RawCheck>, min_items = 1, max_items = 100)]
    checks: Option<Vec<RawCheck>>,
}

impl FromBody for Batch {
    type Raw = RawBatch;
    type Context = Arc<Registry>;
    fn from_body(raw: RawBatch, registry: &Arc<Registry>) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let items = match raw.checks {
            Some(items) if (1..=MAX_BATCH).contains(&items.len()) => items,
            Some(_) => {
                errors.push("checks", format!("must hold 1 to {MAX_BATCH} checks"));
                Vec::new()
            }
            None => {
                errors.push("checks", "is required: an array of checks");
                Vec::new()
            }
        };
        let checks: Vec<Option<Check>> = items
            .into_iter()
            .enumerate()
            .map(|(i, raw)| Check::parse(raw, registry, &format!("checks[{i}]."), &mut errors))
            .collect();
        errors.finish(|| checks.into_iter().collect::<Option<Vec<_>>>().map(Self))
    }
}

/// The answers of a batch, in order.
#[derive(Serialize, ToSchema)]
#[schema(as = CheckAnswers)]
pub(crate) struct Answers {
    results: Vec<Answer>,
}

/// `POST /v1/authz/check/batch {checks: [...]}` → `{results: [{allowed, reason}, ...]}`, in
/// order; at most 100 checks.
#[utoipa::path(
    post,
    path = "/v1/authz/check/batch",
    tag = "authz",
    summary = "Check many permissions",
    params(ConsistencyHeader),
    request_body = RawBatch,
    responses(
        (status = 200, description = "The answers, in order.", body = Answers),
        (status = 403, description = "The caller lacks authz.decision.check, or a check names another tenant.", content_type = "application/problem+json", body = Problem),
    )
)]
pub(crate) async fn batch(
    State(authz): State<Authz>,
    caller: Caller,
    checks: Checks,
    consistency: Consistency,
    Body(Batch(batch)): Body<Batch>,
) -> Result<Json<Answers>, ApiError> {
    for check in &batch {
        check.in_tenant_of(&caller)?;
    }
    authz.caught_up(&consistency, &caller.tenant).await?;
    let mut results = Vec::with_capacity(batch.len());
    for check in &batch {
        results.push(decide(&checks, &caller, check).await);
    }
    Ok(Json(Answers { results }))
}
