use std::sync::Arc;

use async_trait::async_trait;
use plinth_domain_core::{CommandMetadata, TenantId};
use plinth_domain_identity::services::{LockoutPolicy, SystemClock, UserServices};
use plinth_domain_identity::{
    ChangeDisplayName, ChangePassword, DisplayName, EMAIL_CLAIM_SCOPE, Email, Password,
    PasswordError, PasswordPolicy, RecordLogin, RegisterUser, User, UserCommand, UserError, UserId,
    email_claim_key,
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
    #[error("invalid e-mail address or password")]
    InvalidCredentials,
    #[error("no such user")]
    NotFound,
    #[error("{0}")]
    WeakPassword(#[from] PasswordError),
    #[error("the account is locked after too many failed logins; try again after {until}")]
    Locked {
        until: chrono::DateTime<chrono::Utc>,
    },
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

    /// Checks an e-mail address and password in the metadata's tenant, recording the attempt
    /// (and a lockout) on the user; returns the user on success.
    async fn login(
        &self,
        email: Email,
        password: String,
        metadata: CommandMetadata,
    ) -> Result<UserId, IdentityError>;

    /// Changes the display name of `user`; the token names the write for read-your-writes.
    async fn change_display_name(
        &self,
        user: UserId,
        display_name: DisplayName,
        metadata: CommandMetadata,
    ) -> Result<ConsistencyToken, IdentityError>;

    /// Replaces `user`'s password after checking the current one; the new one must meet `policy`.
    async fn change_password(
        &self,
        user: UserId,
        current: String,
        new: String,
        policy: PasswordPolicy,
        metadata: CommandMetadata,
    ) -> Result<(), IdentityError>;
}

/// The in-process identity service.
pub struct IdentityService {
    users: CommandBus<User>,
    hasher: Argon2Hasher,
    pool: sqlx::PgPool,
}

/// Login attempts on one user are serialised by optimistic locking; a burst of concurrent
/// attempts needs more retries than a bus's default so that every attempt is counted.
const LOGIN_ATTEMPTS: u32 = 50;

impl IdentityService {
    pub fn new(pool: sqlx::PgPool, hasher: Argon2Hasher, lockout: LockoutPolicy) -> Self {
        let services = UserServices {
            hasher: Arc::new(hasher.clone()),
            clock: Arc::new(SystemClock),
            lockout,
        };
        Self {
            users: CommandBus::new(pool.clone(), services).with_max_attempts(LOGIN_ATTEMPTS),
            hasher,
            pool,
        }
    }
}

fn command_error(e: CommandError<UserError>) -> IdentityError {
    match e {
        CommandError::UniqueClaimTaken { scope } if scope == EMAIL_CLAIM_SCOPE => {
            IdentityError::EmailTaken
        }
        CommandError::Rejected(UserError::AlreadyRegistered) => IdentityError::AlreadyExists,
        CommandError::Rejected(UserError::Locked { until }) => IdentityError::Locked { until },
        CommandError::Rejected(UserError::NotRegistered) => IdentityError::InvalidCredentials,
        CommandError::Conflict => IdentityError::Conflict,
        CommandError::Unavailable(reason) => IdentityError::Unavailable(reason),
        other @ (CommandError::Rejected(UserError::Hashing(_))
        | CommandError::UniqueClaimTaken { .. }
        | CommandError::Store(_)) => IdentityError::Internal(other.to_string()),
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
            .map_err(command_error)?;
        info!(user_id = %user_id, "User registered.");
        Ok(Registered {
            user_id,
            token: committed.token,
        })
    }

    #[tracing::instrument(skip_all, fields(tenant = %metadata.tenant_id, correlation_id = %metadata.correlation_id))]
    async fn login(
        &self,
        email: Email,
        password: String,
        metadata: CommandMetadata,
    ) -> Result<UserId, IdentityError> {
        let key = email_claim_key(&metadata.tenant_id, &email);
        let holder = plinth_infra_event_store::claim_holder(&self.pool, EMAIL_CLAIM_SCOPE, &key)
            .await
            .map_err(|e| IdentityError::Unavailable(e.to_string()))?;
        let Some(aggregate_id) = holder else {
            self.hasher
                .verify_nothing(&password)
                .await
                .map_err(|e| IdentityError::Internal(e.to_string()))?;
            return Err(IdentityError::InvalidCredentials);
        };
        let user = self
            .users
            .load(&aggregate_id)
            .await
            .map_err(command_error)?;
        let Some(hash) = user.password_hash() else {
            return Err(IdentityError::InvalidCredentials);
        };
        let matches = self
            .hasher
            .verify(&password, hash)
            .await
            .map_err(|e| IdentityError::Internal(e.to_string()))?;
        self.users
            .execute(
                &aggregate_id,
                UserCommand::RecordLogin(RecordLogin { succeeded: matches }),
                &metadata,
            )
            .await
            .map_err(command_error)?;
        if !matches {
            info!(user_id = %aggregate_id, "Login failed.");
            return Err(IdentityError::InvalidCredentials);
        }
        info!(user_id = %aggregate_id, "Login succeeded.");
        aggregate_id
            .parse()
            .map(UserId)
            .map_err(|_| IdentityError::Internal("user id is not a UUID".into()))
    }

    #[tracing::instrument(skip_all, fields(user_id = %user, tenant = %metadata.tenant_id))]
    async fn change_display_name(
        &self,
        user: UserId,
        display_name: DisplayName,
        metadata: CommandMetadata,
    ) -> Result<ConsistencyToken, IdentityError> {
        let command = UserCommand::ChangeDisplayName(ChangeDisplayName { display_name });
        let committed = self
            .users
            .execute(&user.to_string(), command, &metadata)
            .await
            .map_err(|e| match e {
                CommandError::Rejected(UserError::NotRegistered) => IdentityError::NotFound,
                other => command_error(other),
            })?;
        Ok(committed.token)
    }

    #[tracing::instrument(skip_all, fields(user_id = %user, tenant = %metadata.tenant_id))]
    async fn change_password(
        &self,
        user: UserId,
        current: String,
        new: String,
        policy: PasswordPolicy,
        metadata: CommandMetadata,
    ) -> Result<(), IdentityError> {
        let aggregate_id = user.to_string();
        let state = self
            .users
            .load(&aggregate_id)
            .await
            .map_err(command_error)?;
        let (Some(hash), Some(email)) = (state.password_hash(), state.email()) else {
            return Err(IdentityError::NotFound);
        };
        if !self
            .hasher
            .verify(&current, hash)
            .await
            .map_err(|e| IdentityError::Internal(e.to_string()))?
        {
            return Err(IdentityError::InvalidCredentials);
        }
        let new_password = policy.parse(&new, Some(email))?;
        let command = UserCommand::ChangePassword(ChangePassword { new_password });
        self.users
            .execute(&aggregate_id, command, &metadata)
            .await
            .map_err(command_error)?;
        info!("Password changed.");
        Ok(())
    }
}
