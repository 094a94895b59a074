use std::sync::Arc;

use async_trait::async_trait;
use plinth_domain_core::{CommandMetadata, TenantId};
use plinth_domain_identity::services::{SystemClock, UserServices};
use plinth_domain_identity::{
    DisplayName, EMAIL_CLAIM_SCOPE, Email, Password, RegisterUser, User, UserCommand, UserError,
    UserId,
};
use plinth_infra_event_store::{CommandBus, CommandError, ConsistencyToken};
use tracing::info;

use crate::Argon2Hasher;

/// A registration, already parsed at the edge.
#[derive(Debug, Clone)]
pub struct Registration {
    pub email: Email,
    pub display_name: DisplayName,
    pub password: Password,
}

/// A registration that committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    pub user_id: UserId,
    pub token: ConsistencyToken,
}

/// Why an identity command failed.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("an account with this e-mail address already exists in this tenant")]
    EmailTaken,
    #[error("the user was changed concurrently; retry")]
    Conflict,
    #[error("the user already exists")]
    AlreadyExists,
    #[error("identity store unavailable: {0}")]
    Unavailable(String),
    #[error("identity service failed: {0}")]
    Internal(String),
}

/// What the gateway may ask of the identity service.
#[async_trait]
pub trait IdentityApi: Send + Sync {
    async fn register(
        &self,
        registration: Registration,
        metadata: CommandMetadata,
    ) -> Result<Registered, IdentityError>;
}

/// The in-process identity service.
pub struct IdentityService {
    users: CommandBus<User>,
}

impl IdentityService {
    pub fn new(pool: sqlx::PgPool, hasher: Argon2Hasher) -> Self {
        let services = UserServices {
            hasher: Arc::new(hasher),
            clock: Arc::new(SystemClock),
        };
        Self {
            users: CommandBus::new(pool, services),
        }
    }
}

#[async_trait]
impl IdentityApi for IdentityService {
    #[tracing::instrument(skip_all, fields(tenant = %metadata.tenant_id, correlation_id = %metadata.correlation_id))]
    async fn register(
        &self,
        registration: Registration,
        metadata: CommandMetadata,
    ) -> Result<Registered, IdentityError> {
        let user_id = UserId::new();
        let tenant_id: TenantId = metadata.tenant_id.clone();
        let command = UserCommand::Register(RegisterUser {
            user_id,
            tenant_id,
            email: registration.email,
            display_name: registration.display_name,
            password: registration.password,
        });
        let committed = self
            .users
            .execute(&user_id.to_string(), command, &metadata)
            .await
            .map_err(|e| match e {
                CommandError::UniqueClaimTaken { scope } if scope == EMAIL_CLAIM_SCOPE => {
                    IdentityError::EmailTaken
                }
                CommandError::Rejected(UserError::AlreadyRegistered) => {
                    IdentityError::AlreadyExists
                }
                CommandError::Conflict => IdentityError::Conflict,
                CommandError::Unavailable(reason) => IdentityError::Unavailable(reason),
                other @ (CommandError::Rejected(UserError::Hashing(_))
                | CommandError::UniqueClaimTaken { .. }
                | CommandError::Store(_)) => IdentityError::Internal(other.to_string()),
            })?;
        info!(user_id = %user_id, "User registered.");
        Ok(Registered {
            user_id,
            token: committed.token,
        })
    }
}
