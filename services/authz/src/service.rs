//! [`AuthzService`]: the [`AuthzApi`] on the event store.

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use cqrs_es::Aggregate;
use plinth_domain_authz::{
    AccessDecided, AuthzServices, BindSubject, Binding, BindingCommand, BindingError, BuiltInRole,
    CreateRole, Decision, IncludeRole, RecordDecision, Role, RoleCommand, RoleError, RoleName,
    RoleRef, Scope,
};
use plinth_domain_core::ConsistencyToken;
use plinth_domain_core::{Actor, CommandMetadata};
use plinth_domain_permissions::Permission;
use plinth_infra_event_store::{CommandBus, CommandError};
use tracing::info;
use uuid::Uuid;

use crate::permissions as authz;
use plinth_services_authz_api::{AuthzApi, AuthzError, NewBinding};

/// Maps a command failure; `rejected` maps the aggregate's own refusal.
fn command_error<E: std::error::Error>(
    e: CommandError<E>,
    rejected: impl FnOnce(E) -> AuthzError,
) -> AuthzError {
    match e {
        CommandError::Rejected(e) => rejected(e),
        CommandError::Conflict => AuthzError::Conflict,
        CommandError::Unavailable(reason) => AuthzError::Unavailable(reason),
        other @ (CommandError::UniqueClaimTaken { .. } | CommandError::Store(_)) => {
            AuthzError::Internal(other.to_string())
        }
    }
}

/// A role that is not there is the caller's mistake; a store failure stays one.
fn unknown_role(e: AuthzError, role: Uuid) -> AuthzError {
    match e {
        AuthzError::Role(RoleError::NotFound) => AuthzError::UnknownRole(role),
        other => other,
    }
}

/// Refuses the permissions that manage access: only built-in roles hold them.
fn grantable(permissions: &BTreeSet<Permission>) -> Result<(), AuthzError> {
    match permissions
        .iter()
        .find(|p| [authz::ROLE_MANAGE, authz::BINDING_MANAGE].contains(p))
    {
        Some(p) => Err(AuthzError::ReservedPermission(p.as_str())),
        None => Ok(()),
    }
}

/// A role command's failure; the only unique claim of a role is its name in the tenant.
fn role_error(e: CommandError<RoleError>) -> AuthzError {
    match e {
        CommandError::UniqueClaimTaken { .. } => AuthzError::NameTaken,
        e => command_error(e, AuthzError::Role),
    }
}

fn binding_error(e: CommandError<BindingError>) -> AuthzError {
    command_error(e, AuthzError::Binding)
}

/// The in-process authz service.
pub struct AuthzService {
    pool: sqlx::PgPool,
    roles: CommandBus<Role>,
    bindings: CommandBus<Binding>,
    decisions: CommandBus<Decision>,
    services: AuthzServices,
}

impl AuthzService {
    pub fn new(pool: sqlx::PgPool) -> Self {
        let services = AuthzServices {
            clock: Arc::new(chrono::Utc::now),
        };
        Self {
            roles: CommandBus::new(pool.clone(), services.clone()),
            bindings: CommandBus::new(pool.clone(), services.clone()),
            decisions: CommandBus::new(pool.clone(), services.clone()),
            pool,
            services,
        }
    }

    /// Makes `user` platform administrator (`plinth admin bootstrap`). The binding's id is
    /// derived from the user, so asking again binds nothing twice.
    pub async fn bind_platform_admin(
        &self,
        user: Uuid,
        metadata: &CommandMetadata,
    ) -> Result<(), AuthzError> {
        let binding = NewBinding {
            subject: user,
            role: RoleRef::BuiltIn(BuiltInRole::PlatformAdmin),
            scope: Scope::Tenant,
            owner_only: false,
            valid_from: None,
            valid_until: None,
        };
        match self.write_binding(binding, metadata).await {
            Ok(_) | Err(AuthzError::Binding(BindingError::AlreadyBound)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Loads a role of the metadata's tenant.
    async fn role_in_tenant(
        &self,
        role: Uuid,
        metadata: &CommandMetadata,
    ) -> Result<Role, AuthzError> {
        let loaded = self
            .roles
            .load(&role.to_string())
            .await
            .map_err(role_error)?;
        if loaded.tenant() == Some(&metadata.tenant_id) {
            Ok(loaded)
        } else {
            Err(AuthzError::Role(RoleError::NotFound))
        }
    }

    /// Runs a command on a role of the metadata's tenant.
    async fn on_role(
        &self,
        role: Uuid,
        command: RoleCommand,
        metadata: &CommandMetadata,
    ) -> Result<ConsistencyToken, AuthzError> {
        self.role_in_tenant(role, metadata).await?;
        let committed = self
            .roles
            .execute(&role.to_string(), command, metadata)
            .await
            .map_err(role_error)?;
        Ok(committed.token)
    }

    /// Every role `from` includes, directly or through others.
    async fn reachable(
        &self,
        from: Uuid,
        metadata: &CommandMetadata,
    ) -> Result<BTreeSet<Uuid>, AuthzError> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from];
        while let Some(id) = stack.pop() {
            let role = self.roles.load(&id.to_string()).await.map_err(role_error)?;
            if role.tenant() != Some(&metadata.tenant_id) {
                continue;
            }
            for next in role.includes() {
                if seen.insert(next) {
                    stack.push(next);
                }
            }
        }
        Ok(seen)
    }

    /// Whether the metadata's actor is a platform administrator now.
    async fn actor_is_platform_admin(
        &self,
        metadata: &CommandMetadata,
    ) -> Result<bool, AuthzError> {
        let Actor::User(user) = metadata.actor else {
            return Ok(false);
        };
        let binding = self
            .bindings
            .load(&platform_admin_binding(user).to_string())
            .await
            .map_err(binding_error)?;
        let now = (self.services.clock)();
        Ok(binding.bound().is_some_and(|b| b.valid_at(now)))
    }

    /// Records the refusal of a platform-admin change for audit (the guard had allowed the
    /// route) and returns the error to answer with.
    async fn refuse_platform_admin(&self, metadata: &CommandMetadata) -> AuthzError {
        let refused = AuthzError::NotPlatformAdmin;
        if let Actor::User(subject) = metadata.actor {
            let decision = AccessDecided {
                decision_id: Uuid::now_v7(),
                tenant_id: metadata.tenant_id.clone(),
                subject,
                permission: authz::BINDING_MANAGE.as_str().to_owned(),
                resource_type: None,
                resource_id: None,
                allowed: false,
                reason: refused.to_string(),
                route: None,
                source_ip: None,
                user_agent: None,
                at: (self.services.clock)(),
                repeated: 1,
                first_at: None,
            };
            if let Err(e) = self.record_decision(decision, metadata).await {
                tracing::error!(error = %e, "A refused platform-admin change could not be recorded for audit.");
            }
        }
        refused
    }

    /// Appends the binding, after checking its role exists in the tenant; no check of who asks.
    async fn write_binding(
        &self,
        binding: NewBinding,
        metadata: &CommandMetadata,
    ) -> Result<(Uuid, ConsistencyToken), AuthzError> {
        if let RoleRef::Custom(role) = binding.role {
            self.role_in_tenant(role, metadata)
                .await
                .map_err(|e| unknown_role(e, role))?;
        }
        // platform-admin is held once per user: its binding's id is derived from the user. One
        // that has ended or run out is bound anew (an expired one is unbound first).
        let binding_id = match binding.role {
            RoleRef::BuiltIn(BuiltInRole::PlatformAdmin) => {
                let id = platform_admin_binding(binding.subject);
                let existing = self
                    .bindings
                    .load(&id.to_string())
                    .await
                    .map_err(binding_error)?;
                if existing
                    .bound()
                    .is_some_and(|b| !b.valid_at((self.services.clock)()))
                {
                    self.bindings
                        .execute(&id.to_string(), BindingCommand::Unbind, metadata)
                        .await
                        .map_err(binding_error)?;
                }
                id
            }
            _ => Uuid::now_v7(),
        };
        let command = BindingCommand::Bind(BindSubject {
            binding_id,
            tenant_id: metadata.tenant_id.clone(),
            subject: binding.subject,
            role: binding.role,
            scope: binding.scope,
            owner_only: binding.owner_only,
            valid_from: binding.valid_from,
            valid_until: binding.valid_until,
        });
        let committed = self
            .bindings
            .execute(&binding_id.to_string(), command, metadata)
            .await
            .map_err(binding_error)?;
        info!(%binding_id, subject = %binding.subject, role = %binding.role, "Subject bound.");
        Ok((binding_id, committed.token))
    }
}

#[async_trait]
impl AuthzApi for AuthzService {
    async fn create_role(
        &self,
        name: RoleName,
        permissions: BTreeSet<Permission>,
        metadata: &CommandMetadata,
    ) -> Result<(Uuid, ConsistencyToken), AuthzError> {
        grantable(&permissions)?;
        let role_id = Uuid::now_v7();
        let shown = name.as_str().to_owned();
        let command = RoleCommand::Create(CreateRole {
            role_id,
            tenant_id: metadata.tenant_id.clone(),
            name,
            permissions,
        });
        let committed = self
            .roles
            .execute(&role_id.to_string(), command, metadata)
            .await
            .map_err(role_error)?;
        info!(%role_id, name = shown, "Role created.");
        Ok((role_id, committed.token))
    }

    async fn rename_role(
        &self,
        role: Uuid,
        name: RoleName,
        metadata: &CommandMetadata,
    ) -> Result<ConsistencyToken, AuthzError> {
        self.on_role(role, RoleCommand::Rename(name), metadata)
            .await
    }

    async fn grant(
        &self,
        role: Uuid,
        permissions: BTreeSet<Permission>,
        metadata: &CommandMetadata,
    ) -> Result<ConsistencyToken, AuthzError> {
        grantable(&permissions)?;
        self.on_role(role, RoleCommand::Grant(permissions), metadata)
            .await
    }

    async fn revoke(
        &self,
        role: Uuid,
        permissions: BTreeSet<Permission>,
        metadata: &CommandMetadata,
    ) -> Result<ConsistencyToken, AuthzError> {
        self.on_role(role, RoleCommand::Revoke(permissions), metadata)
            .await
    }

    async fn include(
        &self,
        role: Uuid,
        included: Uuid,
        metadata: &CommandMetadata,
    ) -> Result<ConsistencyToken, AuthzError> {
        self.role_in_tenant(included, metadata)
            .await
            .map_err(|e| unknown_role(e, included))?;
        let reachable = self.reachable(included, metadata).await?;
        let command = RoleCommand::Include(IncludeRole {
            role: included,
            reachable,
        });
        self.on_role(role, command, metadata).await
    }

    async fn exclude(
        &self,
        role: Uuid,
        excluded: Uuid,
        metadata: &CommandMetadata,
    ) -> Result<ConsistencyToken, AuthzError> {
        self.on_role(role, RoleCommand::Exclude(excluded), metadata)
            .await
    }

    async fn delete_role(
        &self,
        role: Uuid,
        metadata: &CommandMetadata,
    ) -> Result<ConsistencyToken, AuthzError> {
        let token = self.on_role(role, RoleCommand::Delete, metadata).await?;
        info!(role_id = %role, "Role deleted.");
        Ok(token)
    }

    async fn bind(
        &self,
        binding: NewBinding,
        metadata: &CommandMetadata,
    ) -> Result<(Uuid, ConsistencyToken), AuthzError> {
        if binding.role == RoleRef::BuiltIn(BuiltInRole::PlatformAdmin)
            && !self.actor_is_platform_admin(metadata).await?
        {
            return Err(self.refuse_platform_admin(metadata).await);
        }
        self.write_binding(binding, metadata).await
    }

    async fn unbind(
        &self,
        binding: Uuid,
        metadata: &CommandMetadata,
    ) -> Result<ConsistencyToken, AuthzError> {
        let id = binding.to_string();
        let loaded = self.bindings.load(&id).await.map_err(binding_error)?;
        let Some(bound) = loaded.bound().filter(|b| b.tenant_id == metadata.tenant_id) else {
            return Err(AuthzError::Binding(BindingError::NotFound));
        };
        if bound.role == RoleRef::BuiltIn(BuiltInRole::PlatformAdmin)
            && !self.actor_is_platform_admin(metadata).await?
        {
            return Err(self.refuse_platform_admin(metadata).await);
        }
        let committed = self
            .bindings
            .execute(&id, BindingCommand::Unbind, metadata)
            .await
            .map_err(binding_error)?;
        info!(binding_id = %binding, "Subject unbound.");
        Ok(committed.token)
    }

    async fn binding_heads(&self, subject: Uuid) -> Result<Vec<ConsistencyToken>, AuthzError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(include_str!("../sql/binding_heads.sql"))
            .bind(subject.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(|e| AuthzError::Unavailable(e.to_string()))?;
        Ok(heads(Binding::TYPE, rows))
    }

    async fn role_heads(&self, roles: &[Uuid]) -> Result<Vec<ConsistencyToken>, AuthzError> {
        if roles.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = roles.iter().map(Uuid::to_string).collect();
        let rows: Vec<(String, i64)> = sqlx::query_as(include_str!("../sql/role_heads.sql"))
            .bind(&ids)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| AuthzError::Unavailable(e.to_string()))?;
        Ok(heads(Role::TYPE, rows))
    }

    async fn record_decision(
        &self,
        decision: AccessDecided,
        metadata: &CommandMetadata,
    ) -> Result<(), AuthzError> {
        let id = decision.decision_id.to_string();
        self.decisions
            .execute(&id, RecordDecision(decision), metadata)
            .await
            .map_err(|e| command_error(e, |e| AuthzError::Internal(e.to_string())))?;
        Ok(())
    }
}

/// Aggregate heads as the tokens that name them.
fn heads(aggregate_type: &str, rows: Vec<(String, i64)>) -> Vec<ConsistencyToken> {
    rows.into_iter()
        .map(|(aggregate_id, sequence)| ConsistencyToken {
            aggregate_type: aggregate_type.to_owned(),
            aggregate_id,
            sequence,
        })
        .collect()
}

/// The id of `user`'s platform-admin binding: one per user, wherever it was bound.
pub fn platform_admin_binding(user: Uuid) -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_OID,
        format!("plinth/authz/platform-admin/{user}").as_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_platform_admin_binding_id_is_stable_per_user() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert_eq!(platform_admin_binding(a), platform_admin_binding(a));
        assert_ne!(platform_admin_binding(a), platform_admin_binding(b));
    }
}
