//! Administration: disabling and enabling accounts, and the bootstrap administrator.

use plinth_domain_core::CommandMetadata;
use plinth_domain_core::ConsistencyToken;
use plinth_domain_identity::{UserCommand, UserError, UserId};
use plinth_infra_event_store::CommandError;
use tracing::info;

use crate::service::{IdentityService, command_error};
use plinth_services_identity_api::{IdentityError, Registration};

impl IdentityService {
    #[tracing::instrument(skip_all, fields(user_id = %user, disabled, tenant = %metadata.tenant_id))]
    pub(crate) async fn disable_or_enable(
        &self,
        user: UserId,
        disabled: bool,
        metadata: CommandMetadata,
    ) -> Result<ConsistencyToken, IdentityError> {
        if self.user_in_tenant(user, &metadata).await?.is_none() {
            return Err(IdentityError::NotFound);
        }
        let command = if disabled {
            UserCommand::Disable
        } else {
            UserCommand::Enable
        };
        let committed = self
            .users
            .execute(&user.to_string(), command, &metadata)
            .await
            .map_err(|e| match e {
                CommandError::Rejected(UserError::NotRegistered) => IdentityError::NotFound,
                other => command_error(other),
            })?;
        info!("Account {}.", if disabled { "disabled" } else { "enabled" });
        Ok(committed.token)
    }

    /// Makes the holder of `registration.email` the tenant's bootstrap administrator,
    /// registering them first if the address has no account. An existing account is promoted
    /// only if `registration.password` is its password: whoever registered the address first
    /// (perhaps not its owner) does not become administrator by someone else's command.
    /// Exactly once per tenant: a second call with any address fails with
    /// [`IdentityError::AdministratorExists`] (a unique claim in the event store decides, so
    /// concurrent calls cannot both win). Returns the administrator's id, and whether they were
    /// registered now.
    #[tracing::instrument(skip_all, fields(tenant = %metadata.tenant_id))]
    pub async fn bootstrap_administrator(
        &self,
        registration: Registration,
        metadata: CommandMetadata,
    ) -> Result<(UserId, bool), IdentityError> {
        if let Some(user) = self.user_by_email(&registration.email, &metadata).await? {
            let state = self
                .users
                .load(&user.to_string())
                .await
                .map_err(command_error)?;
            let hash = state.password_hash().ok_or(IdentityError::NotFound)?;
            if !self
                .hasher
                .verify(registration.password.expose(), hash)
                .await
                .map_err(|e| IdentityError::Internal(e.to_string()))?
            {
                return Err(IdentityError::InvalidCredentials);
            }
            let committed = self
                .users
                .execute(
                    &user.to_string(),
                    UserCommand::BootstrapAdministrator,
                    &metadata,
                )
                .await
                .map_err(command_error)?;
            if committed.events == 0 {
                return Err(IdentityError::AdministratorExists);
            }
            info!(user_id = %user, "Existing user made bootstrap administrator.");
            return Ok((user, false));
        }
        let registered = self.register_user(registration, true, metadata).await?;
        Ok((registered.user_id, true))
    }
}
