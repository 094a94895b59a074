//! The authorization port the guards ask: does this subject hold this permission in its
//! tenant? [`ViewAuthorizer`] answers from the in-memory authz view, in microseconds.

use std::sync::Arc;

use async_trait::async_trait;
use plinth_domain_core::TenantId;
use plinth_domain_permissions::Permission;
use std::time::Duration;

use plinth_infra_event_store::ConsistencyToken;
use plinth_projections_authz::{AuthzView, CheckRequest, Resource};
use uuid::Uuid;

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

/// Decides permission checks.
#[async_trait]
pub trait Authorizer: Send + Sync {
    /// Whether `subject` holds `permission` in its tenant (on `resource`, if given).
    async fn check(
        &self,
        subject: Subject<'_>,
        permission: Permission,
        resource: Option<ResourceRef<'_>>,
    ) -> Decision;

    /// Waits (at most `timeout`) until decisions reflect the authz write named by `token`;
    /// returns whether they do.
    async fn wait_for(&self, token: &ConsistencyToken, timeout: Duration) -> bool;

    /// The custom roles a decision about `subject` reads (those its bindings name, and what
    /// they include), as far as decisions know them.
    fn roles_of(&self, subject: Uuid) -> Vec<Uuid>;
}

/// Decisions from the in-memory authz view (roles and bindings from the authz topics).
#[derive(Debug, Clone)]
pub struct ViewAuthorizer(pub Arc<AuthzView>);

#[async_trait]
impl Authorizer for ViewAuthorizer {
    async fn check(
        &self,
        subject: Subject<'_>,
        permission: Permission,
        resource: Option<ResourceRef<'_>>,
    ) -> Decision {
        let verdict = self.0.decide(
            &CheckRequest {
                subject: subject.user_id,
                tenant: subject.tenant.as_str(),
                permission: permission.as_str(),
                resource: resource.map(|r| Resource {
                    resource_type: r.resource_type,
                    id: r.id,
                    owner: r.owner,
                }),
            },
            chrono::Utc::now(),
        );
        Decision {
            allowed: verdict.allowed,
            reason: verdict.reason,
        }
    }

    fn roles_of(&self, subject: Uuid) -> Vec<Uuid> {
        self.0.read(|policy| policy.roles_of(subject))
    }

    async fn wait_for(&self, token: &ConsistencyToken, timeout: Duration) -> bool {
        self.0
            .wait_for(
                &token.aggregate_type,
                &token.aggregate_id,
                token.sequence,
                timeout,
            )
            .await
    }
}
