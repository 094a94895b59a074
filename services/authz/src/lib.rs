//! The authz service: runs role and binding commands on the `Role` and `Binding` aggregates
//! through the event store's command bus. Decisions are not made here but against the
//! in-memory view (`plinth-projections-authz`), fed from the events this service appends.
//!
//! So far it binds and unbinds subjects, which `plinth admin bootstrap` uses to make the first
//! administrator `platform-admin`; the role and binding administration API builds on it.

use std::sync::Arc;

use plinth_domain_authz::{
    AuthzServices, BindSubject, Binding, BindingCommand, BindingError, BuiltInRole, RoleRef, Scope,
};
use plinth_domain_core::{CommandMetadata, TenantId};
use plinth_infra_event_store::{CommandBus, CommandError, ConsistencyToken};
use tracing::info;
use uuid::Uuid;

/// Why an authz command failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthzError {
    #[error("{0}")]
    Rejected(BindingError),
    #[error("the binding was changed concurrently; retry")]
    Conflict,
    #[error("authz store unavailable: {0}")]
    Unavailable(String),
    #[error("authz service failed: {0}")]
    Internal(String),
}

fn binding_error(e: CommandError<BindingError>) -> AuthzError {
    match e {
        CommandError::Rejected(e) => AuthzError::Rejected(e),
        CommandError::Conflict => AuthzError::Conflict,
        CommandError::Unavailable(reason) => AuthzError::Unavailable(reason),
        other @ (CommandError::UniqueClaimTaken { .. } | CommandError::Store(_)) => {
            AuthzError::Internal(other.to_string())
        }
    }
}

/// The in-process authz service.
pub struct AuthzService {
    bindings: CommandBus<Binding>,
}

impl AuthzService {
    pub fn new(pool: sqlx::PgPool) -> Self {
        let services = AuthzServices {
            clock: Arc::new(chrono::Utc::now),
        };
        Self {
            bindings: CommandBus::new(pool, services),
        }
    }

    /// Binds `subject` to `role` in the metadata's tenant; returns the binding's id and the
    /// write's consistency token.
    pub async fn bind(
        &self,
        binding_id: Uuid,
        subject: Uuid,
        role: RoleRef,
        scope: Scope,
        metadata: &CommandMetadata,
    ) -> Result<ConsistencyToken, AuthzError> {
        let command = BindingCommand::Bind(BindSubject {
            binding_id,
            tenant_id: metadata.tenant_id.clone(),
            subject,
            role,
            scope,
            owner_only: false,
            valid_from: None,
            valid_until: None,
        });
        let committed = self
            .bindings
            .execute(&binding_id.to_string(), command, metadata)
            .await
            .map_err(binding_error)?;
        info!(binding_id = %binding_id, subject = %subject, role = %role, "Subject bound.");
        Ok(committed.token)
    }

    /// Ends a binding; returns the write's consistency token.
    pub async fn unbind(
        &self,
        binding_id: Uuid,
        metadata: &CommandMetadata,
    ) -> Result<ConsistencyToken, AuthzError> {
        let committed = self
            .bindings
            .execute(&binding_id.to_string(), BindingCommand::Unbind, metadata)
            .await
            .map_err(binding_error)?;
        info!(binding_id = %binding_id, "Subject unbound.");
        Ok(committed.token)
    }

    /// Makes `user` platform administrator. The binding's id is derived from the tenant and
    /// the user, so asking again (a retried bootstrap) binds nothing twice.
    pub async fn bind_platform_admin(
        &self,
        user: Uuid,
        metadata: &CommandMetadata,
    ) -> Result<(), AuthzError> {
        let binding_id = platform_admin_binding(&metadata.tenant_id, user);
        match self
            .bind(
                binding_id,
                user,
                RoleRef::BuiltIn(BuiltInRole::PlatformAdmin),
                Scope::Tenant,
                metadata,
            )
            .await
        {
            Ok(_) | Err(AuthzError::Rejected(BindingError::AlreadyBound)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// The id of the platform-admin binding of `user`, bound in `tenant`.
pub fn platform_admin_binding(tenant: &TenantId, user: Uuid) -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_OID,
        format!("plinth/authz/platform-admin/{tenant}/{user}").as_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_platform_admin_binding_id_is_stable_per_tenant_and_user() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let default = TenantId::default();
        assert_eq!(
            platform_admin_binding(&default, a),
            platform_admin_binding(&default, a)
        );
        assert_ne!(
            platform_admin_binding(&default, a),
            platform_admin_binding(&default, b)
        );
    }
}
