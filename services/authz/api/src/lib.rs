//! The authz service's API, without its implementation: [`AuthzApi`] (role and binding
//! administration and the reads that say how far the store has got), its request types, and
//! [`AuthzError`] with its one mapping to an HTTP problem (`From<AuthzError> for ApiError`).
//! The implementation is `plinth-services-authz`.

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use plinth_domain_authz::{AccessDecided, BindingError, RoleError, RoleName, RoleRef, Scope};
use plinth_domain_core::CommandMetadata;
use plinth_domain_core::ConsistencyToken;
use plinth_domain_permissions::Permission;
use uuid::Uuid;

/// A binding to create: `subject` gets `role` in the metadata's tenant.
#[derive(Debug, Clone)]
pub struct NewBinding {
    pub subject: Uuid,
    pub role: RoleRef,
    pub scope: Scope,
    pub owner_only: bool,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
}

/// Why an authz command failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthzError {
    #[error("{0}")]
    Role(RoleError),
    #[error("{0}")]
    Binding(BindingError),
    #[error("the tenant already has a role with that name")]
    NameTaken,
    /// A custom role that does not exist in the caller's tenant.
    #[error("no role {0} in this tenant")]
    UnknownRole(Uuid),
    /// Managing access is for `owner` and `platform-admin` alone: a custom role cannot hold it.
    #[error("{0} is held only by the built-in owner and platform-admin roles")]
    ReservedPermission(&'static str),
    /// Granting or taking away `platform-admin` takes a platform administrator.
    #[error("only a platform administrator may bind or unbind platform-admin")]
    NotPlatformAdmin,
    #[error("the role or binding was changed concurrently; retry")]
    Conflict,
    #[error("authz store unavailable: {0}")]
    Unavailable(String),
    #[error("authz service failed: {0}")]
    Internal(String),
}

/// Role and binding administration, and recording access decisions. Every command acts in the
/// metadata's tenant: a role or binding of another tenant is "not found".
#[async_trait]
pub trait AuthzApi: Send + Sync {
    /// Creates a role; returns its id and the write's consistency token.
    async fn create_role(
        &self,
        name: RoleName,
        permissions: BTreeSet<Permission>,
        metadata: &CommandMetadata,
    ) -> Result<(Uuid, ConsistencyToken), AuthzError>;

    async fn rename_role(
        &self,
        role: Uuid,
        name: RoleName,
        metadata: &CommandMetadata,
    ) -> Result<ConsistencyToken, AuthzError>;

    /// Adds permissions to a role (those it holds already are ignored).
    async fn grant(
        &self,
        role: Uuid,
        permissions: BTreeSet<Permission>,
        metadata: &CommandMetadata,
    ) -> Result<ConsistencyToken, AuthzError>;

    /// Takes permissions from a role (those it lacks are ignored).
    async fn revoke(
        &self,
        role: Uuid,
        permissions: BTreeSet<Permission>,
        metadata: &CommandMetadata,
    ) -> Result<ConsistencyToken, AuthzError>;

    /// Makes `role` grant everything `included` grants; refused if that makes a cycle.
    async fn include(
        &self,
        role: Uuid,
        included: Uuid,
        metadata: &CommandMetadata,
    ) -> Result<ConsistencyToken, AuthzError>;

    async fn exclude(
        &self,
        role: Uuid,
        excluded: Uuid,
        metadata: &CommandMetadata,
    ) -> Result<ConsistencyToken, AuthzError>;

    /// Deletes a role; its bindings stay but grant nothing.
    async fn delete_role(
        &self,
        role: Uuid,
        metadata: &CommandMetadata,
    ) -> Result<ConsistencyToken, AuthzError>;

    /// Binds a subject; returns the binding's id and the write's consistency token.
    async fn bind(
        &self,
        binding: NewBinding,
        metadata: &CommandMetadata,
    ) -> Result<(Uuid, ConsistencyToken), AuthzError>;

    async fn unbind(
        &self,
        binding: Uuid,
        metadata: &CommandMetadata,
    ) -> Result<ConsistencyToken, AuthzError>;

    /// Every binding ever made for `subject` (in any tenant: platform-admin applies in all), as
    /// far as the store has committed it: a view that has applied each up to its sequence
    /// knows everything the subject was given and had taken away.
    async fn binding_heads(&self, subject: Uuid) -> Result<Vec<ConsistencyToken>, AuthzError>;

    /// How far the store has committed each of `roles`.
    async fn role_heads(&self, roles: &[Uuid]) -> Result<Vec<ConsistencyToken>, AuthzError>;

    /// Records a decision for audit (the `authz.decision` topic).
    async fn record_decision(
        &self,
        decision: AccessDecided,
        metadata: &CommandMetadata,
    ) -> Result<(), AuthzError>;
}

impl From<AuthzError> for plinth_infra_edge::ApiError {
    fn from(e: AuthzError) -> Self {
        use plinth_infra_edge::{ApiError, FieldError};
        let field = |name: &str, e: &AuthzError| {
            ApiError::Validation(vec![FieldError::new(name, e.to_string())])
        };
        match e {
            AuthzError::Role(RoleError::NotFound) => ApiError::NotFound("no such role".into()),
            AuthzError::Binding(BindingError::NotFound) => {
                ApiError::NotFound("no such binding".into())
            }
            AuthzError::ReservedPermission(_) => field("permissions", &e),
            AuthzError::Binding(BindingError::EmptyPeriod | BindingError::AlreadyOver) => {
                field("valid_until", &e)
            }
            AuthzError::Binding(BindingError::PlatformAdminIsUnscoped)
            | AuthzError::UnknownRole(_) => field("role", &e),
            AuthzError::NotPlatformAdmin => ApiError::Forbidden(e.to_string()),
            AuthzError::Role(RoleError::Cycle(_) | RoleError::AlreadyExists)
            | AuthzError::Binding(BindingError::AlreadyBound)
            | AuthzError::NameTaken
            | AuthzError::Conflict => ApiError::Conflict(e.to_string()),
            AuthzError::Unavailable(reason) => ApiError::Unavailable(reason),
            AuthzError::Internal(reason) => ApiError::Internal(reason),
        }
    }
}
