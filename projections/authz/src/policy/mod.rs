//! The decision engine: roles and bindings as the authz topics describe them, and the rules
//! that decide a check. Pure: events in, decisions out, tested without infrastructure.

use std::collections::{HashMap, HashSet};

use std::sync::Arc;

use chrono::{DateTime, Utc};
use plinth_schemas::authz::AuthzEvent;
use uuid::Uuid;

/// What a check asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRequest<'a> {
    pub subject: Uuid,
    pub tenant: &'a str,
    pub permission: &'a str,
    pub resource: Option<Resource<'a>>,
}

/// The resource a check is about, when it is about one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource<'a> {
    /// `blog.post`.
    pub resource_type: &'a str,
    pub id: &'a str,
    /// The resource's owner, for bindings limited to owned resources.
    pub owner: Option<Uuid>,
}

/// An answer and what decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub allowed: bool,
    pub reason: String,
}

#[derive(Debug, Clone)]
struct RoleState {
    tenant: String,
    name: String,
    permissions: HashSet<String>,
    includes: HashSet<Uuid>,
}

#[derive(Debug, Clone)]
struct BindingState {
    tenant: String,
    subject: Uuid,
    role: String,
    resource_type: Option<String>,
    resource_id: Option<String>,
    owner_only: bool,
    valid_from: Option<DateTime<Utc>>,
    valid_until: Option<DateTime<Utc>>,
}

/// The built-in role that grants everything in every tenant.
const PLATFORM_ADMIN: &str = "platform-admin";

/// The permissions of `authz` that manage access: held by `owner`, not by `admin`.
const MANAGE_ACCESS: [&str; 2] = ["authz.role.manage", "authz.binding.manage"];

/// Roles and bindings, as applied so far.
#[derive(Debug, Default, Clone)]
pub struct Policy {
    roles: HashMap<Uuid, RoleState>,
    bindings: HashMap<Uuid, BindingState>,
    by_subject: HashMap<Uuid, Vec<Uuid>>,
    /// Every permission the registered modules declare: what `owner`, `admin` and
    /// `platform-admin` are listed as granting (empty by default).
    declared: Arc<[&'static str]>,
}

impl Policy {
    /// An empty policy whose built-in roles are listed as granting `declared`.
    pub fn new(declared: impl IntoIterator<Item = &'static str>) -> Self {
        Self {
            declared: declared.into_iter().collect(),
            ..Self::default()
        }
    }

    /// Applies one authz event; access decisions change nothing.
    pub fn apply(&mut self, event: &AuthzEvent) {
        match event {
            AuthzEvent::RoleCreated(e) => {
                self.roles.insert(
                    e.role_id,
                    RoleState {
                        tenant: e.tenant_id.clone(),
                        name: e.name.clone(),
                        permissions: e.permissions.iter().cloned().collect(),
                        includes: HashSet::new(),
                    },
                );
            }
            AuthzEvent::RoleRenamed(e) => {
                if let Some(role) = self.roles.get_mut(&e.role_id) {
                    role.name.clone_from(&e.name);
                }
            }
            AuthzEvent::RolePermissionsGranted(e) => {
                if let Some(role) = self.roles.get_mut(&e.role_id) {
                    role.permissions.extend(e.permissions.iter().cloned());
                }
            }
            AuthzEvent::RolePermissionsRevoked(e) => {
                if let Some(role) = self.roles.get_mut(&e.role_id) {
                    for p in &e.permissions {
                        role.permissions.remove(p);
                    }
                }
            }
            AuthzEvent::RoleIncluded(e) => {
                if let Some(role) = self.roles.get_mut(&e.role_id) {
                    role.includes.insert(e.other);
                }
            }
            AuthzEvent::RoleExcluded(e) => {
                if let Some(role) = self.roles.get_mut(&e.role_id) {
                    role.includes.remove(&e.other);
                }
            }
            AuthzEvent::RoleDeleted(e) => {
                self.roles.remove(&e.role_id);
            }
            AuthzEvent::SubjectBound(e) => {
                self.bindings.insert(
                    e.binding_id,
                    BindingState {
                        tenant: e.tenant_id.clone(),
                        subject: e.subject,
                        role: e.role.clone(),
                        resource_type: e.scope_resource_type.clone(),
                        resource_id: e.scope_resource_id.clone(),
                        owner_only: e.owner_only,
                        valid_from: e.valid_from,
                        valid_until: e.valid_until,
                    },
                );
                let ids = self.by_subject.entry(e.subject).or_default();
                if !ids.contains(&e.binding_id) {
                    ids.push(e.binding_id);
                }
            }
            AuthzEvent::SubjectUnbound(e) => {
                self.bindings.remove(&e.binding_id);
                if let Some(ids) = self.by_subject.get_mut(&e.subject) {
                    ids.retain(|id| *id != e.binding_id);
                }
            }
            AuthzEvent::AccessDecided(_) => {}
        }
    }

    /// Decides `request` at `now`: allowed by the first binding of the subject that is valid
    /// now, applies in the tenant and to the resource, and whose role grants the permission.
    pub fn decide(&self, request: &CheckRequest<'_>, now: DateTime<Utc>) -> Verdict {
        let bindings = self
            .by_subject
            .get(&request.subject)
            .map_or(&[][..], Vec::as_slice);
        let mut expired = false;
        for id in bindings {
            let Some(binding) = self.bindings.get(id) else {
                continue;
            };
            if !binding.active(now) {
                expired = true;
                continue;
            }
            let platform = binding.role == PLATFORM_ADMIN;
            if !platform && binding.tenant != request.tenant {
                continue;
            }
            if !applies_to(binding, request) {
                continue;
            }
            if let Some(role) = self.grants(&binding.role, request.tenant, request.permission) {
                return Verdict {
                    allowed: true,
                    reason: format!("role {role} granted by binding {id}"),
                };
            }
        }
        let mut reason = format!(
            "no binding of {} in tenant {} grants {}",
            request.subject, request.tenant, request.permission
        );
        if expired {
            reason.push_str(" (a binding is outside its validity period)");
        }
        Verdict {
            allowed: false,
            reason,
        }
    }

    /// The name of `role` if it grants `permission` in `tenant`, following inclusions.
    fn grants(&self, role: &str, tenant: &str, permission: &str) -> Option<String> {
        match role {
            "owner" | PLATFORM_ADMIN => return Some(role.to_owned()),
            "admin" => return (!MANAGE_ACCESS.contains(&permission)).then(|| role.to_owned()),
            "member" => return None,
            _ => {}
        }
        let root = Uuid::try_parse(role).ok()?;
        let name = &self.roles.get(&root).filter(|r| r.tenant == tenant)?.name;
        let mut seen = HashSet::new();
        let mut stack = vec![root];
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            let Some(state) = self.roles.get(&id).filter(|r| r.tenant == tenant) else {
                continue;
            };
            if state.permissions.contains(permission) {
                return Some(if id == root {
                    name.clone()
                } else {
                    format!("{name} (through {})", state.name)
                });
            }
            stack.extend(state.includes.iter().copied());
        }
        None
    }

    /// How many bindings the view holds.
    pub fn bindings(&self) -> usize {
        self.bindings.len()
    }
}

/// Whether the binding's scope and owner condition cover the request's resource.
fn applies_to(binding: &BindingState, request: &CheckRequest<'_>) -> bool {
    let resource = request.resource;
    let in_scope = match (&binding.resource_type, &binding.resource_id) {
        (None, _) => true,
        (Some(t), None) => resource.is_some_and(|r| r.resource_type == t),
        (Some(t), Some(id)) => resource.is_some_and(|r| r.resource_type == t && r.id == id),
    };
    let owned = !binding.owner_only || resource.and_then(|r| r.owner) == Some(binding.subject);
    in_scope && owned
}

mod queries;
#[cfg(test)]
mod tests;

pub use queries::{BindingInfo, Held, Holder, Page, RoleInfo};
