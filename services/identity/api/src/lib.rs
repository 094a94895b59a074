//! The identity service's API, without its implementation: [`IdentityApi`] (what the identity
//! module's handlers ask of the service, in-process or, in a mesh, over the network), its
//! request and response types, and [`IdentityError`] with its one mapping to an HTTP problem
//! (`From<IdentityError> for ApiError`). The implementation is `plinth-services-identity`.

use async_trait::async_trait;
use plinth_domain_core::CommandMetadata;
use plinth_domain_core::ConsistencyToken;
use plinth_domain_identity::session::RevocationReason;
use plinth_domain_identity::{DisplayName, Email, Password, PasswordError, PasswordPolicy, UserId};
use uuid::Uuid;

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

/// A session that a login started or a refresh continued: the identity module's handler signs
/// an access token for it and hands out the (new) refresh token.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user_id: UserId,
    pub session_id: Uuid,
    pub refresh_token: String,
    /// Seconds the refresh token works unless refreshed: the idle timeout, or what is left of
    /// the session's lifetime if that is shorter.
    pub refresh_expires_in: u64,
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
    #[error("the account is disabled")]
    Disabled,
    #[error("no such user")]
    NotFound,
    #[error("{0}")]
    WeakPassword(#[from] PasswordError),
    #[error("the account is locked after too many failed logins; try again after {until}")]
    Locked {
        until: chrono::DateTime<chrono::Utc>,
    },
    /// A verification, reset or refresh token that is unknown, expired, used or revoked.
    #[error("the token is invalid, expired or already used")]
    InvalidToken,
    #[error("this tenant already has its bootstrap administrator")]
    AdministratorExists,
    #[error("identity store unavailable: {0}")]
    Unavailable(String),
    /// Too many passwords wait to be hashed: shed rather than queued (503, retry shortly).
    #[error("too many sign-ins and registrations at once; retry shortly")]
    Busy,
    #[error("identity service failed: {0}")]
    Internal(String),
}

/// What the identity module's handlers may ask of the identity service.
#[async_trait]
pub trait IdentityApi: Send + Sync {
    async fn register(
        &self,
        registration: Registration,
        metadata: CommandMetadata,
    ) -> Result<Registered, IdentityError>;

    /// Checks an e-mail address and password in the metadata's tenant, recording the attempt
    /// (and a lockout) on the user, and starts a session on success.
    async fn login(
        &self,
        email: Email,
        password: String,
        metadata: CommandMetadata,
    ) -> Result<SignedIn, IdentityError>;

    /// Rotates a refresh token. A token that was already rotated ends its whole session.
    async fn refresh(
        &self,
        refresh_token: &str,
        metadata: CommandMetadata,
    ) -> Result<SignedIn, IdentityError>;

    /// Ends `session` of `user`; the token names the write for read-your-writes.
    async fn revoke_session(
        &self,
        user: UserId,
        session: Uuid,
        reason: RevocationReason,
        metadata: CommandMetadata,
    ) -> Result<ConsistencyToken, IdentityError>;

    /// Changes the display name of `user`; the token names the write for read-your-writes.
    async fn change_display_name(
        &self,
        user: UserId,
        display_name: DisplayName,
        metadata: CommandMetadata,
    ) -> Result<ConsistencyToken, IdentityError>;

    /// Replaces `user`'s password after checking the current one; the new one must meet `policy`.
    /// A wrong current password counts as a failed login (toward the lockout); a change ends
    /// every other session of the user, keeping `session` (the one asking).
    async fn change_password(
        &self,
        user: UserId,
        session: uuid::Uuid,
        current: String,
        new: String,
        policy: PasswordPolicy,
        metadata: CommandMetadata,
    ) -> Result<ConsistencyToken, IdentityError>;

    /// Redeems an e-mail verification token.
    async fn verify_email(
        &self,
        token: &str,
        metadata: CommandMetadata,
    ) -> Result<ConsistencyToken, IdentityError>;

    /// Asks for a password-reset e-mail. Succeeds whether or not the address has an account,
    /// so that nobody learns which addresses do.
    async fn request_password_reset(
        &self,
        email: Email,
        metadata: CommandMetadata,
    ) -> Result<(), IdentityError>;

    /// Replaces the password with a reset token; ends every session of the user.
    async fn reset_password(
        &self,
        token: &str,
        new: String,
        policy: PasswordPolicy,
        metadata: CommandMetadata,
    ) -> Result<ConsistencyToken, IdentityError>;

    /// Disables (`true`) or enables `user` of the metadata's tenant.
    async fn set_disabled(
        &self,
        user: UserId,
        disabled: bool,
        metadata: CommandMetadata,
    ) -> Result<ConsistencyToken, IdentityError>;
}

impl From<plinth_domain_identity::services::HashingError> for IdentityError {
    fn from(e: plinth_domain_identity::services::HashingError) -> Self {
        use plinth_domain_identity::services::HashingError;
        match e {
            HashingError::Busy => Self::Busy,
            HashingError::Failed(reason) => Self::Internal(reason),
        }
    }
}

impl From<IdentityError> for plinth_infra_edge::ApiError {
    fn from(e: IdentityError) -> Self {
        use plinth_infra_edge::{ApiError, FieldError};
        match e {
            IdentityError::EmailTaken
            | IdentityError::Conflict
            | IdentityError::AlreadyExists
            | IdentityError::AdministratorExists => ApiError::Conflict(e.to_string()),
            IdentityError::InvalidCredentials => ApiError::InvalidCredentials,
            IdentityError::Disabled => ApiError::AccountDisabled,
            IdentityError::InvalidToken => ApiError::InvalidToken,
            IdentityError::NotFound => ApiError::NotFound(e.to_string()),
            // The service checks the policy only of a new password (a change or a reset).
            IdentityError::WeakPassword(reason) => {
                ApiError::Validation(vec![FieldError::new("new_password", reason.to_string())])
            }
            IdentityError::Locked { until } => ApiError::Locked {
                retry_after: (until - chrono::Utc::now()).num_seconds(),
            },
            IdentityError::Unavailable(internal) => ApiError::Unavailable(internal),
            IdentityError::Busy => ApiError::Unavailable(e.to_string()),
            IdentityError::Internal(internal) => ApiError::Internal(internal),
        }
    }
}
