//! The permission check a handler may ask beyond its route's guard (may this caller see this
//! draft?): the gateway puts its [`Check`] in every request's extensions, [`Checks`] takes it.

use std::sync::Arc;

use async_trait::async_trait;
use axum::extract::FromRequestParts;
use http::request::Parts;
use plinth_domain_core::TenantId;
use plinth_domain_permissions::Permission;
use uuid::Uuid;

use crate::ApiError;

/// Who asks.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub user_id: Uuid,
    pub tenant: &'a TenantId,
}

/// The resource a check is about.
#[derive(Debug, Clone, Copy)]
pub struct ResourceRef<'a> {
    /// `blog.post`.
    pub resource_type: &'a str,
    pub id: &'a str,
    /// Its owner, for bindings limited to owned resources.
    pub owner: Option<Uuid>,
}

/// An answer and what decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// The role or binding that granted it, or what is missing.
    pub reason: String,
}

/// Decides permission checks.
#[async_trait]
pub trait Check: Send + Sync {
    /// Whether `subject` holds `permission` in its tenant (on `resource`, if given).
    async fn check(
        &self,
        subject: Subject<'_>,
        permission: Permission,
        resource: Option<ResourceRef<'_>>,
    ) -> Decision;
}

/// The gateway's permission check, for a handler.
#[derive(Clone)]
pub struct Checks(pub Arc<dyn Check>);

impl<S: Send + Sync> FromRequestParts<S> for Checks {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Arc<dyn Check>>()
            .cloned()
            .map(Self)
            .ok_or_else(|| ApiError::Internal("the gateway offers no permission check".into()))
    }
}
