//! The authorization port the guards ask: does this subject hold this permission in its
//! tenant (on this resource)? [`ViewAuthorizer`] answers from the in-memory authz view, in
//! microseconds. Handlers of any module ask the same port through `plinth_infra_edge::Checks`.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use plinth_domain_core::ConsistencyToken;
use plinth_domain_permissions::Permission;
use plinth_infra_edge::{Check, Decision, ResourceRef, Subject};
use plinth_projections_authz::{AuthzView, CheckRequest, Resource};
use uuid::Uuid;

/// Decides permission checks, and says how current its decisions are.
#[async_trait]
pub trait Authorizer: Check {
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
impl Check for ViewAuthorizer {
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
}

#[async_trait]
impl Authorizer for ViewAuthorizer {
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
