//! The `Role` aggregate: a named set of permissions in a tenant, possibly including other
//! roles. The service passes, with an inclusion, every role reachable from the included one,
//! so the aggregate can refuse a cycle without I/O.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use plinth_domain_core::{TenantId, UniqueClaim, UniqueClaims};
use plinth_domain_permissions::Permission;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{AuthzServices, RoleName};

/// The scope of the claim that makes a role name unique within a tenant.
pub const ROLE_NAME_CLAIM_SCOPE: &str = "authz.role.name";

/// What can be asked of a role.
#[derive(Debug, Clone)]
pub enum RoleCommand {
    Create(CreateRole),
    Rename(RoleName),
    Grant(BTreeSet<Permission>),
    Revoke(BTreeSet<Permission>),
    Include(IncludeRole),
    Exclude(Uuid),
    Delete,
}

/// Create a role with its first permissions.
#[derive(Debug, Clone)]
pub struct CreateRole {
    pub role_id: Uuid,
    pub tenant_id: TenantId,
    pub name: RoleName,
    pub permissions: BTreeSet<Permission>,
}

/// Include `role` (a role of the same tenant); `reachable` is every role `role` includes,
/// directly or not, as the caller found them.
#[derive(Debug, Clone)]
pub struct IncludeRole {
    pub role: Uuid,
    pub reachable: BTreeSet<Uuid>,
}

/// What happened to a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoleEvent {
    RoleCreated(RoleCreated),
    RoleRenamed(RoleRenamed),
    RolePermissionsGranted(RolePermissionsGranted),
    RolePermissionsRevoked(RolePermissionsRevoked),
    RoleIncluded(RoleIncluded),
    RoleExcluded(RoleExcluded),
    RoleDeleted(RoleDeleted),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleCreated {
    pub role_id: Uuid,
    pub tenant_id: TenantId,
    pub name: RoleName,
    pub permissions: Vec<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleRenamed {
    pub role_id: Uuid,
    pub tenant_id: TenantId,
    pub name: RoleName,
    /// The name it had, whose claim the rename releases (kept in the store, not published).
    #[serde(default)]
    pub previous: Option<RoleName>,
    pub at: DateTime<Utc>,
}

/// Permissions added to the role (only those it did not hold).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolePermissionsGranted {
    pub role_id: Uuid,
    pub tenant_id: TenantId,
    pub permissions: Vec<String>,
    pub at: DateTime<Utc>,
}

/// Permissions taken from the role (only those it held).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolePermissionsRevoked {
    pub role_id: Uuid,
    pub tenant_id: TenantId,
    pub permissions: Vec<String>,
    pub at: DateTime<Utc>,
}

/// The role now also grants everything `included` grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleIncluded {
    pub role_id: Uuid,
    pub tenant_id: TenantId,
    pub included: Uuid,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleExcluded {
    pub role_id: Uuid,
    pub tenant_id: TenantId,
    pub excluded: Uuid,
    pub at: DateTime<Utc>,
}

/// The role is gone; bindings to it grant nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleDeleted {
    pub role_id: Uuid,
    pub tenant_id: TenantId,
    /// Its name, whose claim the deletion releases (kept in the store, not published).
    #[serde(default)]
    pub name: Option<RoleName>,
    pub at: DateTime<Utc>,
}

impl DomainEvent for RoleEvent {
    fn event_type(&self) -> String {
        match self {
            Self::RoleCreated(_) => "RoleCreated",
            Self::RoleRenamed(_) => "RoleRenamed",
            Self::RolePermissionsGranted(_) => "RolePermissionsGranted",
            Self::RolePermissionsRevoked(_) => "RolePermissionsRevoked",
            Self::RoleIncluded(_) => "RoleIncluded",
            Self::RoleExcluded(_) => "RoleExcluded",
            Self::RoleDeleted(_) => "RoleDeleted",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

impl UniqueClaims for RoleEvent {
    fn unique_claims(&self) -> Vec<UniqueClaim> {
        let (tenant, name) = match self {
            Self::RoleCreated(e) => (&e.tenant_id, &e.name),
            Self::RoleRenamed(e) => (&e.tenant_id, &e.name),
            _ => return Vec::new(),
        };
        vec![name_claim(tenant, name)]
    }

    fn released_claims(&self) -> Vec<UniqueClaim> {
        match self {
            Self::RoleRenamed(RoleRenamed {
                tenant_id,
                previous: Some(name),
                ..
            })
            | Self::RoleDeleted(RoleDeleted {
                tenant_id,
                name: Some(name),
                ..
            }) => vec![name_claim(tenant_id, name)],
            _ => Vec::new(),
        }
    }
}

fn name_claim(tenant: &TenantId, name: &RoleName) -> UniqueClaim {
    UniqueClaim {
        scope: ROLE_NAME_CLAIM_SCOPE.to_owned(),
        key: format!("{tenant}/{}", name.as_str()),
    }
}

/// Why a role command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoleError {
    #[error("the role already exists")]
    AlreadyExists,
    #[error("no such role")]
    NotFound,
    #[error("including role {0} would make a cycle")]
    Cycle(Uuid),
}

/// A role. `None`: not created, or deleted.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Role {
    state: Option<State>,
    deleted: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct State {
    role_id: Uuid,
    tenant_id: TenantId,
    name: RoleName,
    permissions: BTreeSet<String>,
    includes: BTreeSet<Uuid>,
}

fn names(permissions: impl IntoIterator<Item = Permission>) -> Vec<String> {
    permissions
        .into_iter()
        .map(|p| p.as_str().to_owned())
        .collect()
}

impl Role {
    /// The role's tenant; `None` when it does not exist (or was deleted).
    pub fn tenant(&self) -> Option<&TenantId> {
        self.state.as_ref().map(|s| &s.tenant_id)
    }

    /// The roles it includes directly.
    pub fn includes(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.state.iter().flat_map(|s| s.includes.iter().copied())
    }
}

impl Aggregate for Role {
    const TYPE: &'static str = "authz.role";
    type Command = RoleCommand;
    type Event = RoleEvent;
    type Error = RoleError;
    type Services = AuthzServices;

    async fn handle(
        &mut self,
        command: Self::Command,
        services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        let at = (services.clock)();
        if let RoleCommand::Create(cmd) = command {
            if self.state.is_some() || self.deleted {
                return Err(RoleError::AlreadyExists);
            }
            let event = RoleCreated {
                role_id: cmd.role_id,
                tenant_id: cmd.tenant_id,
                name: cmd.name,
                permissions: names(cmd.permissions),
                at,
            };
            sink.write(RoleEvent::RoleCreated(event), self).await;
            return Ok(());
        }
        let role = self.state.as_ref().ok_or(RoleError::NotFound)?;
        let (role_id, tenant_id) = (role.role_id, role.tenant_id.clone());
        let event = match command {
            RoleCommand::Create(_) => unreachable!("handled above"),
            RoleCommand::Rename(name) if name == role.name => return Ok(()),
            RoleCommand::Rename(name) => RoleEvent::RoleRenamed(RoleRenamed {
                role_id,
                tenant_id,
                name,
                previous: Some(role.name.clone()),
                at,
            }),
            RoleCommand::Grant(permissions) => {
                let new = names(
                    permissions
                        .into_iter()
                        .filter(|p| !role.permissions.contains(p.as_str())),
                );
                if new.is_empty() {
                    return Ok(());
                }
                RoleEvent::RolePermissionsGranted(RolePermissionsGranted {
                    role_id,
                    tenant_id,
                    permissions: new,
                    at,
                })
            }
            RoleCommand::Revoke(permissions) => {
                let held = names(
                    permissions
                        .into_iter()
                        .filter(|p| role.permissions.contains(p.as_str())),
                );
                if held.is_empty() {
                    return Ok(());
                }
                RoleEvent::RolePermissionsRevoked(RolePermissionsRevoked {
                    role_id,
                    tenant_id,
                    permissions: held,
                    at,
                })
            }
            RoleCommand::Include(cmd) => {
                if cmd.role == role_id || cmd.reachable.contains(&role_id) {
                    return Err(RoleError::Cycle(cmd.role));
                }
                if role.includes.contains(&cmd.role) {
                    return Ok(());
                }
                RoleEvent::RoleIncluded(RoleIncluded {
                    role_id,
                    tenant_id,
                    included: cmd.role,
                    at,
                })
            }
            RoleCommand::Exclude(excluded) if !role.includes.contains(&excluded) => return Ok(()),
            RoleCommand::Exclude(excluded) => RoleEvent::RoleExcluded(RoleExcluded {
                role_id,
                tenant_id,
                excluded,
                at,
            }),
            RoleCommand::Delete => RoleEvent::RoleDeleted(RoleDeleted {
                role_id,
                tenant_id,
                name: Some(role.name.clone()),
                at,
            }),
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        if let RoleEvent::RoleCreated(e) = event {
            self.state = Some(State {
                role_id: e.role_id,
                tenant_id: e.tenant_id,
                name: e.name,
                permissions: e.permissions.into_iter().collect(),
                includes: BTreeSet::new(),
            });
            return;
        }
        if let RoleEvent::RoleDeleted(_) = event {
            self.state = None;
            self.deleted = true;
            return;
        }
        let Some(role) = &mut self.state else {
            return;
        };
        match event {
            RoleEvent::RoleCreated(_) | RoleEvent::RoleDeleted(_) => {}
            RoleEvent::RoleRenamed(e) => role.name = e.name,
            RoleEvent::RolePermissionsGranted(e) => role.permissions.extend(e.permissions),
            RoleEvent::RolePermissionsRevoked(e) => {
                for p in e.permissions {
                    role.permissions.remove(&p);
                }
            }
            RoleEvent::RoleIncluded(e) => {
                role.includes.insert(e.included);
            }
            RoleEvent::RoleExcluded(e) => {
                role.includes.remove(&e.excluded);
            }
        }
    }
}

#[cfg(test)]
mod tests;
