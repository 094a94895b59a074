//! Registration, login (with the lockout and the session it starts), profile and password.

use plinth_domain_core::CommandMetadata;
use plinth_domain_core::ConsistencyToken;
use plinth_domain_identity::session::{SessionCommand, StartSession};
use plinth_domain_identity::{
    ChangeDisplayName, ChangePassword, DisplayName, Email, PasswordPolicy, RecordLogin,
    RegisterUser, UserCommand, UserError, UserId,
};
use plinth_infra_event_store::CommandError;
use tracing::info;
use uuid::Uuid;

use crate::secrets;
use crate::service::{IdentityService, command_error, session_error};
use plinth_services_identity_api::{IdentityError, Registered, Registration, SignedIn};

impl IdentityService {
    #[tracing::instrument(skip_all, fields(tenant = %metadata.tenant_id, correlation_id = %metadata.correlation_id))]
    pub(crate) async fn register_user(
        &self,
        registration: Registration,
        administrator: bool,
        metadata: CommandMetadata,
    ) -> Result<Registered, IdentityError> {
        let user_id = UserId::new();
        let command = UserCommand::Register(RegisterUser {
            user_id,
            tenant_id: metadata.tenant_id.clone(),
            email: registration.email,
            display_name: registration.display_name,
            password: registration.password,
            administrator,
        });
        let committed = self
            .users
            .execute(&user_id.to_string(), command, &metadata)
            .await
            .map_err(command_error)?;
        info!(user_id = %user_id, administrator, "User registered.");
        Ok(Registered {
            user_id,
            token: committed.token,
        })
    }

    #[tracing::instrument(skip_all, fields(tenant = %metadata.tenant_id, correlation_id = %metadata.correlation_id))]
    pub(crate) async fn log_in(
        &self,
        email: Email,
        password: String,
        metadata: CommandMetadata,
    ) -> Result<SignedIn, IdentityError> {
        let Some(user_id) = self.user_by_email(&email, &metadata).await? else {
            // The same work as for a real account, so timing does not tell them apart.
            self.hasher.verify_nothing(&password).await?;
            return Err(IdentityError::InvalidCredentials);
        };
        let aggregate_id = user_id.to_string();
        let user = self
            .users
            .load(&aggregate_id)
            .await
            .map_err(command_error)?;
        let Some(hash) = user.password_hash() else {
            return Err(IdentityError::InvalidCredentials);
        };
        let matches = self.hasher.verify(&password, hash).await?;
        let metadata = metadata.with_actor(plinth_domain_core::Actor::User(user_id.0));
        self.users
            .execute(
                &aggregate_id,
                UserCommand::RecordLogin(RecordLogin {
                    succeeded: matches,
                    checked_against: hash.clone(),
                }),
                &metadata,
            )
            .await
            .map_err(command_error)?;
        if !matches {
            info!(user_id = %aggregate_id, "Login failed.");
            return Err(IdentityError::InvalidCredentials);
        }
        let signed_in = self.start_session(user_id, &metadata).await?;
        info!(user_id = %aggregate_id, session_id = %signed_in.session_id, "Login succeeded.");
        Ok(signed_in)
    }

    async fn start_session(
        &self,
        user_id: UserId,
        metadata: &CommandMetadata,
    ) -> Result<SignedIn, IdentityError> {
        let session_id = Uuid::now_v7();
        let secret = secrets::generate(session_id);
        let lifetime = self.lifetimes.session;
        let expires_at = chrono::Utc::now()
            + chrono::Duration::from_std(lifetime)
                .map_err(|e| IdentityError::Internal(e.to_string()))?;
        let command = SessionCommand::Start(StartSession {
            session_id,
            user_id,
            tenant_id: metadata.tenant_id.clone(),
            refresh_token: secret.hash,
            expires_at,
        });
        self.sessions
            .execute(&session_id.to_string(), command, metadata)
            .await
            .map_err(session_error)?;
        Ok(SignedIn {
            user_id,
            session_id,
            refresh_token: secret.token,
            refresh_expires_in: lifetime.min(self.lifetimes.session_idle).as_secs(),
        })
    }

    #[tracing::instrument(skip_all, fields(user_id = %user, tenant = %metadata.tenant_id))]
    pub(crate) async fn rename(
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

    /// A wrong `current` password is recorded as a failed login, so a stolen access token
    /// cannot guess passwords without locking the account; while locked, no change is made.
    #[tracing::instrument(skip_all, fields(user_id = %user, tenant = %metadata.tenant_id))]
    pub(crate) async fn replace_password(
        &self,
        user: UserId,
        session: Uuid,
        current: String,
        new: String,
        policy: PasswordPolicy,
        metadata: CommandMetadata,
    ) -> Result<ConsistencyToken, IdentityError> {
        let aggregate_id = user.to_string();
        let state = self
            .users
            .load(&aggregate_id)
            .await
            .map_err(command_error)?;
        let (Some(hash), Some(email)) = (state.password_hash(), state.email()) else {
            return Err(IdentityError::NotFound);
        };
        if let Some(until) = state.locked_until(chrono::Utc::now()) {
            return Err(IdentityError::Locked { until });
        }
        if !self.hasher.verify(&current, hash).await? {
            let failed = UserCommand::RecordLogin(RecordLogin {
                succeeded: false,
                checked_against: hash.clone(),
            });
            self.users
                .execute(&aggregate_id, failed, &metadata)
                .await
                .map_err(command_error)?;
            info!("Password change refused: wrong current password (counted as a failed login).");
            return Err(IdentityError::InvalidCredentials);
        }
        let new_password = policy.parse(&new, Some(email))?;
        let command = UserCommand::ChangePassword(ChangePassword {
            new_password,
            checked_against: hash.clone(),
            keep_session: Some(session),
        });
        let committed = self
            .users
            .execute(&aggregate_id, command, &metadata)
            .await
            .map_err(command_error)?;
        info!("Password changed; every other session ended.");
        Ok(committed.token)
    }
}
