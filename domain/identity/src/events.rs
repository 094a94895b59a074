use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use plinth_domain_core::{TenantId, UniqueClaim, UniqueClaims};
use serde::{Deserialize, Serialize};

use crate::{DisplayName, Email, PasswordHash, UserId};

/// The scope of the claim that makes an e-mail address unique within a tenant.
pub const EMAIL_CLAIM_SCOPE: &str = "identity.user.email";

/// What happened to a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserEvent {
    UserRegistered(UserRegistered),
}

/// An account was created. The password is stored only as its argon2id hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRegistered {
    pub user_id: UserId,
    pub tenant_id: TenantId,
    pub email: Email,
    pub display_name: DisplayName,
    pub password_hash: PasswordHash,
    pub registered_at: DateTime<Utc>,
}

impl DomainEvent for UserEvent {
    fn event_type(&self) -> String {
        match self {
            Self::UserRegistered(_) => "UserRegistered".to_owned(),
        }
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

impl UniqueClaims for UserEvent {
    fn unique_claims(&self) -> Vec<UniqueClaim> {
        match self {
            Self::UserRegistered(e) => vec![UniqueClaim {
                scope: EMAIL_CLAIM_SCOPE.to_owned(),
                key: format!("{}/{}", e.tenant_id, e.email.as_str()),
            }],
        }
    }
}
