//! The authorization port the guards ask: does this subject hold this permission in its
//! tenant? [`ViewAuthorizer`] answers from the in-memory authz view, in microseconds.

use std::sync::Arc;

use async_trait::async_trait;
use plinth_domain_core::TenantId;
use plinth_domain_permissions::Permission;
use plinth_projections_authz::{AuthzView, CheckRequest};
use uuid::Uuid;

/// Who asks.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub user_id: Uuid,
    pub tenant: &'a TenantId,
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
    async fn check(&self, subject: Subject<'_>, permission: Permission) -> Decision;
}

/// Decisions from the in-memory authz view (roles and bindings from the authz topics).
#[derive(Debug, Clone)]
pub struct ViewAuthorizer(pub Arc<AuthzView>);

#[async_trait]
impl Authorizer for ViewAuthorizer {
    async fn check(&self, subject: Subject<'_>, permission: Permission) -> Decision {
        let verdict = self.0.decide(
            &CheckRequest {
                subject: subject.user_id,
                tenant: subject.tenant.as_str(),
                permission: permission.as_str(),
                resource: None,
            },
            chrono::Utc::now(),
        );
        Decision {
            allowed: verdict.allowed,
            reason: verdict.reason,
        }
    }
}
