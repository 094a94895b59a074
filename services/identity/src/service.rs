//! [`IdentityService`]: the in-process implementation of [`IdentityApi`]. The work is split by
//! concern: `accounts.rs` (registration, login, profile, password), `sessions.rs` (refresh
//! rotation, revocation), `mail_tokens.rs` (verification and reset tokens) and `admin.rs`.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use plinth_domain_core::CommandMetadata;
use plinth_domain_core::ConsistencyToken;
use plinth_domain_identity::services::{LockoutPolicy, SystemClock, UserServices};
use plinth_domain_identity::session::{RevocationReason, Session, SessionError, SessionServices};
use plinth_domain_identity::{
    BOOTSTRAP_ADMIN_CLAIM_SCOPE, DisplayName, EMAIL_CLAIM_SCOPE, Email, PasswordPolicy, User,
    UserError, UserId,
};
use plinth_infra_event_store::{CommandBus, CommandError};

use crate::Argon2Hasher;
use crate::bounded::BoundedTasks;
use plinth_services_identity_api::{
    IdentityApi, IdentityError, Registered, Registration, SignedIn,
};

/// How long sessions and mailed tokens live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    /// A session's absolute lifetime: its refresh tokens stop working after it.
    pub session: Duration,
    /// A session not refreshed for this long ends.
    pub session_idle: Duration,
    pub email_verification: Duration,
    pub password_reset: Duration,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            session: Duration::from_secs(12 * 3600),
            session_idle: Duration::from_secs(30 * 60),
            email_verification: Duration::from_secs(24 * 3600),
            password_reset: Duration::from_secs(3600),
        }
    }
}

/// The in-process identity service.
pub struct IdentityService {
    pub(crate) users: Arc<CommandBus<User>>,
    pub(crate) sessions: CommandBus<Session>,
    pub(crate) hasher: Argon2Hasher,
    pub(crate) pool: sqlx::PgPool,
    pub(crate) lifetimes: Lifetimes,
    /// Work done after answering (reset requests), bounded.
    pub(crate) after_answer: BoundedTasks,
}

/// Reset requests recorded in the background at once, at most.
const AFTER_ANSWER_TASKS: usize = 64;

/// Login attempts on one user are serialised by optimistic locking; a burst of concurrent
/// attempts needs more retries than a bus's default so that every attempt is counted.
const LOGIN_ATTEMPTS: u32 = 50;

impl IdentityService {
    pub fn new(
        pool: sqlx::PgPool,
        hasher: Argon2Hasher,
        lockout: LockoutPolicy,
        lifetimes: Lifetimes,
    ) -> Self {
        let services = UserServices {
            hasher: Arc::new(hasher.clone()),
            clock: Arc::new(SystemClock),
            lockout,
        };
        let session_services = SessionServices {
            clock: Arc::new(SystemClock),
            idle_timeout: chrono::Duration::from_std(lifetimes.session_idle)
                .unwrap_or(chrono::TimeDelta::MAX),
        };
        Self {
            users: Arc::new(
                CommandBus::new(pool.clone(), services).with_max_attempts(LOGIN_ATTEMPTS),
            ),
            sessions: CommandBus::new(pool.clone(), session_services),
            hasher,
            pool,
            lifetimes,
            after_answer: BoundedTasks::new(AFTER_ANSWER_TASKS),
        }
    }

    /// The user `id` if it exists in the metadata's tenant.
    pub(crate) async fn user_in_tenant(
        &self,
        id: UserId,
        metadata: &CommandMetadata,
    ) -> Result<Option<User>, IdentityError> {
        let user = self
            .users
            .load(&id.to_string())
            .await
            .map_err(command_error)?;
        Ok((user.tenant_id() == Some(&metadata.tenant_id)).then_some(user))
    }

    /// The id of the user holding `email` in the metadata's tenant.
    pub(crate) async fn user_by_email(
        &self,
        email: &Email,
        metadata: &CommandMetadata,
    ) -> Result<Option<UserId>, IdentityError> {
        let key = plinth_domain_identity::email_claim_key(&metadata.tenant_id, email);
        let holder = plinth_infra_event_store::claim_holder(&self.pool, EMAIL_CLAIM_SCOPE, &key)
            .await
            .map_err(|e| IdentityError::Unavailable(e.to_string()))?;
        holder
            .map(|id| {
                id.parse()
                    .map(UserId)
                    .map_err(|_| IdentityError::Internal("user id is not a UUID".into()))
            })
            .transpose()
    }
}

/// Maps a user command's failure to the service's error.
pub(crate) fn command_error(e: CommandError<UserError>) -> IdentityError {
    match e {
        CommandError::UniqueClaimTaken { scope } if scope == EMAIL_CLAIM_SCOPE => {
            IdentityError::EmailTaken
        }
        CommandError::UniqueClaimTaken { scope } if scope == BOOTSTRAP_ADMIN_CLAIM_SCOPE => {
            IdentityError::AdministratorExists
        }
        CommandError::Rejected(UserError::AlreadyRegistered) => IdentityError::AlreadyExists,
        CommandError::Rejected(UserError::Locked { until }) => IdentityError::Locked { until },
        CommandError::Rejected(UserError::NotRegistered | UserError::PasswordReplaced) => {
            IdentityError::InvalidCredentials
        }
        CommandError::Rejected(UserError::Disabled) => IdentityError::Disabled,
        CommandError::Rejected(UserError::InvalidToken | UserError::AlreadyVerified) => {
            IdentityError::InvalidToken
        }
        CommandError::Conflict => IdentityError::Conflict,
        CommandError::Unavailable(reason) => IdentityError::Unavailable(reason),
        CommandError::Rejected(UserError::Hashing(e)) => e.into(),
        other @ (CommandError::UniqueClaimTaken { .. } | CommandError::Store(_)) => {
            IdentityError::Internal(other.to_string())
        }
    }
}

/// Maps a session command's failure to the service's error.
pub(crate) fn session_error(e: CommandError<SessionError>) -> IdentityError {
    match e {
        CommandError::Rejected(_) => IdentityError::InvalidToken,
        CommandError::Conflict => IdentityError::Conflict,
        CommandError::Unavailable(reason) => IdentityError::Unavailable(reason),
        other @ (CommandError::UniqueClaimTaken { .. } | CommandError::Store(_)) => {
            IdentityError::Internal(other.to_string())
        }
    }
}

#[async_trait]
impl IdentityApi for IdentityService {
    async fn register(
        &self,
        registration: Registration,
        metadata: CommandMetadata,
    ) -> Result<Registered, IdentityError> {
        self.register_user(registration, false, metadata).await
    }

    async fn login(
        &self,
        email: Email,
        password: String,
        metadata: CommandMetadata,
    ) -> Result<SignedIn, IdentityError> {
        self.log_in(email, password, metadata).await
    }

    async fn refresh(
        &self,
        refresh_token: &str,
        metadata: CommandMetadata,
    ) -> Result<SignedIn, IdentityError> {
        self.rotate(refresh_token, metadata).await
    }

    async fn revoke_session(
        &self,
        user: UserId,
        session: uuid::Uuid,
        reason: RevocationReason,
        metadata: CommandMetadata,
    ) -> Result<ConsistencyToken, IdentityError> {
        self.revoke(user, session, reason, metadata).await
    }

    async fn change_display_name(
        &self,
        user: UserId,
        display_name: DisplayName,
        metadata: CommandMetadata,
    ) -> Result<ConsistencyToken, IdentityError> {
        self.rename(user, display_name, metadata).await
    }

    async fn change_password(
        &self,
        user: UserId,
        session: uuid::Uuid,
        current: String,
        new: String,
        policy: PasswordPolicy,
        metadata: CommandMetadata,
    ) -> Result<ConsistencyToken, IdentityError> {
        self.replace_password(user, session, current, new, policy, metadata)
            .await
    }

    async fn verify_email(
        &self,
        token: &str,
        metadata: CommandMetadata,
    ) -> Result<ConsistencyToken, IdentityError> {
        self.redeem_verification(token, metadata).await
    }

    async fn request_password_reset(
        &self,
        email: Email,
        metadata: CommandMetadata,
    ) -> Result<(), IdentityError> {
        self.ask_for_reset(email, metadata).await
    }

    async fn reset_password(
        &self,
        token: &str,
        new: String,
        policy: PasswordPolicy,
        metadata: CommandMetadata,
    ) -> Result<ConsistencyToken, IdentityError> {
        self.redeem_reset(token, new, policy, metadata).await
    }

    async fn set_disabled(
        &self,
        user: UserId,
        disabled: bool,
        metadata: CommandMetadata,
    ) -> Result<ConsistencyToken, IdentityError> {
        self.disable_or_enable(user, disabled, metadata).await
    }
}
