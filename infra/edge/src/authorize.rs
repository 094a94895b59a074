//! The authorization ports: what a handler may ask beyond its route's guard ([`Check`]: may
//! this caller see this draft?), and what the gateway's guards decide with besides
//! ([`Authorize`]: how current decisions are, and recording them). The authz module implements
//! both; the gateway puts the handlers' part in every request's extensions, where [`Checks`]
//! takes it.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::extract::FromRequestParts;
use chrono::{DateTime, Utc};
use http::request::Parts;
use plinth_domain_core::{CommandMetadata, ConsistencyToken, TenantId};
use plinth_domain_permissions::Permission;
use uuid::Uuid;

use crate::{ApiError, Caller};

/// Who asks.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub user_id: Uuid,
    pub tenant: &'a TenantId,
}

/// The resource a check is about.
#[derive(Debug, Clone, Copy)]
pub struct ResourceRef<'a> {
    /// `blog.post`.
    pub resource_type: &'a str,
    pub id: &'a str,
    /// Its owner, for bindings limited to owned resources.
    pub owner: Option<Uuid>,
}

/// An answer and what decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// The role or binding that granted it, or what is missing.
    pub reason: String,
}

/// An access decision as the audit trail records it: who was allowed or denied what, where,
/// and from which client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRecord {
    pub tenant: TenantId,
    pub subject: Uuid,
    pub permission: Permission,
    /// The resource's type and id, when the decision was about one.
    pub resource: Option<(String, String)>,
    pub allowed: bool,
    pub reason: String,
    /// `METHOD /path/{template}` of the route, when a route's guard decided.
    pub route: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub at: DateTime<Utc>,
}

/// What a handler may ask beyond its route's guard.
#[async_trait]
pub trait Check: Send + Sync {
    /// Whether `subject` holds `permission` in its tenant (on `resource`, if given).
    async fn check(
        &self,
        subject: Subject<'_>,
        permission: Permission,
        resource: Option<ResourceRef<'_>>,
    ) -> Decision;

    /// Whether `actor` may take access away from the account `target` of `tenant` (nobody
    /// may from an account holding more than they do); why not otherwise.
    fn may_administer(&self, tenant: &TenantId, actor: Uuid, target: Uuid) -> Result<(), String>;

    /// Records a denial in the background, gathering its repeats: a client hammering a
    /// forbidden route does not turn each request into a write.
    fn record_denial(&self, decision: AccessRecord, metadata: CommandMetadata);
}

/// What the gateway's guards decide with: the checks, how current they are, and recording
/// the decisions on sensitive permissions.
#[async_trait]
pub trait Authorize: Check {
    /// Whether `token` names a write that decisions depend on (a role or a binding).
    fn decides_on(&self, token: &ConsistencyToken) -> bool;

    /// Waits (at most `timeout`) until decisions reflect the write `token` names; whether they
    /// do.
    async fn wait_for(&self, token: &ConsistencyToken, timeout: Duration) -> bool;

    /// Waits (at most `timeout`) until decisions about `subject` reflect every change to what
    /// it holds that the store has committed, however far behind the feed is: a sensitive
    /// permission is decided only then (`AuthzBehind` otherwise, failing closed).
    async fn current_for(&self, subject: Uuid, timeout: Duration) -> Result<(), ApiError>;

    /// Records `decision` before the action it allows runs; an action that cannot be recorded
    /// does not run (`Unavailable`).
    async fn record(
        &self,
        decision: AccessRecord,
        metadata: &CommandMetadata,
    ) -> Result<(), ApiError>;
}

/// The request's permission checks, for a handler.
#[derive(Clone)]
pub struct Checks(Arc<dyn Check>);

impl Checks {
    /// Whether `subject` holds `permission` in its tenant (on `resource`, if given).
    pub async fn check(
        &self,
        subject: Subject<'_>,
        permission: Permission,
        resource: Option<ResourceRef<'_>>,
    ) -> Decision {
        self.0.check(subject, permission, resource).await
    }

    /// Whether `caller` may take access away from the account `target` of their tenant.
    pub fn may_administer(&self, caller: &Caller, target: Uuid) -> Result<(), String> {
        self.0
            .may_administer(&caller.tenant, caller.user_id, target)
    }

    /// Records for audit that `caller` was refused `permission` (on `resource`: its type and
    /// id) for `reason`, in the background.
    pub fn deny(
        &self,
        caller: &Caller,
        permission: Permission,
        resource: Option<(String, String)>,
        reason: &str,
        metadata: CommandMetadata,
    ) {
        let decision = AccessRecord {
            tenant: caller.tenant.clone(),
            subject: caller.user_id,
            permission,
            resource,
            allowed: false,
            reason: reason.to_owned(),
            route: None,
            source_ip: None,
            user_agent: None,
            at: Utc::now(),
        };
        self.0.record_denial(decision, metadata);
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Checks {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Arc<dyn Check>>()
            .cloned()
            .map(Self)
            .ok_or_else(|| ApiError::Internal("the gateway offers no permission check".into()))
    }
}
