//! The authorization port the guards ask: does this subject hold this permission in its
//! tenant? The authz service (issue 4) implements it against its in-memory view; until then
//! [`BootstrapAdministrators`] grants every permission to the tenant's bootstrap
//! administrator and nothing to anyone else.

use async_trait::async_trait;
use plinth_domain_core::TenantId;
use plinth_domain_permissions::Permission;
use uuid::Uuid;

/// Who asks.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub user_id: Uuid,
    pub tenant: &'a TenantId,
    /// The tenant's bootstrap administrator, as the users view says.
    pub administrator: bool,
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

/// Every permission to the bootstrap administrator, none to anyone else.
#[derive(Debug, Clone, Copy, Default)]
pub struct BootstrapAdministrators;

#[async_trait]
impl Authorizer for BootstrapAdministrators {
    async fn check(&self, subject: Subject<'_>, permission: Permission) -> Decision {
        if subject.administrator {
            Decision {
                allowed: true,
                reason: format!(
                    "the bootstrap administrator of {} holds every permission",
                    subject.tenant
                ),
            }
        } else {
            Decision {
                allowed: false,
                reason: format!("missing permission {permission}"),
            }
        }
    }
}
