//! [`ViewAuthorizer`]: the authz module's answer to the gateway's `Authorize` port. Decisions
//! come from the in-memory authz view (`plinth-projections-authz`, fed from the authz topics),
//! in microseconds; how current they are is measured against what the store has committed
//! ([`AuthzApi::binding_heads`] and [`AuthzApi::role_heads`]); decisions are recorded through
//! the service, denials gathered by [`Denials`].

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use plinth_domain_authz::AccessDecided;
use plinth_domain_core::{CommandMetadata, ConsistencyToken, TenantId};
use plinth_domain_permissions::Permission;
use plinth_infra_edge::{AccessRecord, ApiError, Authorize, Check, Decision, ResourceRef, Subject};
use plinth_projections_authz::{AGGREGATE_TYPES, AuthzView, CheckRequest, Resource};
use plinth_services_authz_api::AuthzApi;
use tracing::warn;
use uuid::Uuid;

use crate::Denials;

/// Decisions from the in-memory authz view, recorded through the authz service.
pub struct ViewAuthorizer {
    pub(crate) view: Arc<AuthzView>,
    pub(crate) service: Arc<dyn AuthzApi>,
    pub(crate) denials: Arc<Denials>,
}

#[async_trait]
impl Check for ViewAuthorizer {
    async fn check(
        &self,
        subject: Subject<'_>,
        permission: Permission,
        resource: Option<ResourceRef<'_>>,
    ) -> Decision {
        let verdict = self.view.decide(
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

    fn may_administer(&self, tenant: &TenantId, actor: Uuid, target: Uuid) -> Result<(), String> {
        let now = chrono::Utc::now();
        self.view
            .read(|policy| policy.may_administer(tenant.as_str(), actor, target, now))
    }

    fn record_denial(&self, decision: AccessRecord, metadata: CommandMetadata) {
        self.denials.record(decided(decision), metadata);
    }
}

#[async_trait]
impl Authorize for ViewAuthorizer {
    fn decides_on(&self, token: &ConsistencyToken) -> bool {
        AGGREGATE_TYPES.contains(&token.aggregate_type.as_str())
    }

    async fn wait_for(&self, token: &ConsistencyToken, timeout: Duration) -> bool {
        self.view.wait_for(token, timeout).await
    }

    async fn current_for(&self, subject: Uuid, timeout: Duration) -> Result<(), ApiError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let unavailable = |e: plinth_services_authz_api::AuthzError| {
            ApiError::Unavailable(format!("cannot read the committed authz writes: {e}"))
        };
        let bindings = self
            .service
            .binding_heads(subject)
            .await
            .map_err(unavailable)?;
        self.applied_by(&bindings, deadline).await?;
        let roles = self.view.read(|policy| policy.roles_of(subject));
        let roles = self.service.role_heads(&roles).await.map_err(unavailable)?;
        self.applied_by(&roles, deadline).await
    }

    async fn record(
        &self,
        decision: AccessRecord,
        metadata: &CommandMetadata,
    ) -> Result<(), ApiError> {
        self.service
            .record_decision(decided(decision), metadata)
            .await
            .map_err(|e| ApiError::Unavailable(format!("cannot record the access decision: {e}")))
    }
}

impl ViewAuthorizer {
    /// Waits until the view has applied each of `heads`, at the latest by `deadline`.
    async fn applied_by(
        &self,
        heads: &[ConsistencyToken],
        deadline: tokio::time::Instant,
    ) -> Result<(), ApiError> {
        for head in heads {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if !self.view.wait_for(head, left).await {
                warn!(
                    aggregate_type = head.aggregate_type,
                    aggregate_id = head.aggregate_id,
                    sequence = head.sequence,
                    "The authz view is behind the event store; a sensitive permission was refused."
                );
                return Err(ApiError::AuthzBehind {
                    what: format!(
                        "{} {} up to event {}",
                        head.aggregate_type, head.aggregate_id, head.sequence
                    ),
                });
            }
        }
        Ok(())
    }
}

/// A decision as the `authz.decision` topic records it.
fn decided(record: AccessRecord) -> AccessDecided {
    let (resource_type, resource_id) = record.resource.unzip();
    AccessDecided {
        decision_id: Uuid::now_v7(),
        tenant_id: record.tenant,
        subject: record.subject,
        permission: record.permission.as_str().to_owned(),
        resource_type,
        resource_id,
        allowed: record.allowed,
        reason: record.reason,
        route: record.route,
        source_ip: record.source_ip,
        user_agent: record.user_agent,
        at: record.at,
        repeated: 1,
        first_at: None,
    }
}
