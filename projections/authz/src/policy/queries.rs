//! What the administration API reads from the policy: roles, a subject's bindings, its
//! effective permissions, and who holds a permission (reverse lookup). Every listing is in
//! key order and paged by the last key seen.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{BindingState, MANAGE_ACCESS, PLATFORM_ADMIN, Policy};

/// One page of a listing; `next` is the cursor of the following page, if there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// A role as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleInfo {
    /// A custom role's id, or a built-in role's name.
    pub id: String,
    pub name: String,
    pub built_in: bool,
    /// Granted directly (for a built-in role: everything it grants).
    pub permissions: Vec<String>,
    /// Roles it includes directly.
    pub includes: Vec<Uuid>,
    /// Everything it grants, through inclusions too.
    pub effective: Vec<String>,
}

/// A binding as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingInfo {
    pub id: Uuid,
    pub tenant: String,
    pub subject: Uuid,
    /// A built-in role's name or a custom role's id.
    pub role: String,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub owner_only: bool,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    /// Within its validity period now.
    pub active: bool,
}

/// A permission a subject holds, and the bindings that give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub permission: String,
    pub bindings: Vec<Uuid>,
    /// Every binding that gives it is limited to a scope or to owned resources.
    pub conditional: bool,
}

/// A subject holding a permission, and through which bindings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub subject: Uuid,
    pub bindings: Vec<Uuid>,
    pub conditional: bool,
}

/// The built-in roles, as listed.
const BUILT_IN: [&str; 4] = ["admin", "member", "owner", PLATFORM_ADMIN];

/// Sorts `items` by key and cuts the page after `after`.
fn page<T>(mut items: Vec<(String, T)>, after: Option<&str>, limit: usize) -> Page<T> {
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let mut rest = items
        .into_iter()
        .filter(|(key, _)| after.is_none_or(|after| key.as_str() > after))
        .peekable();
    let mut out = Vec::with_capacity(limit.min(64));
    let mut last = None;
    while out.len() < limit {
        let Some((key, item)) = rest.next() else {
            break;
        };
        last = Some(key);
        out.push(item);
    }
    Page {
        next: rest.peek().and(last),
        items: out,
    }
}

impl BindingState {
    pub(super) fn active(&self, now: DateTime<Utc>) -> bool {
        self.valid_from.is_none_or(|from| from <= now)
            && self.valid_until.is_none_or(|until| now < until)
    }

    fn applies_in(&self, tenant: &str) -> bool {
        self.role == PLATFORM_ADMIN || self.tenant == tenant
    }

    fn conditional(&self) -> bool {
        self.owner_only || self.resource_type.is_some()
    }

    fn info(&self, id: Uuid, now: DateTime<Utc>) -> BindingInfo {
        BindingInfo {
            id,
            tenant: self.tenant.clone(),
            subject: self.subject,
            role: self.role.clone(),
            resource_type: self.resource_type.clone(),
            resource_id: self.resource_id.clone(),
            owner_only: self.owner_only,
            valid_from: self.valid_from,
            valid_until: self.valid_until,
            active: self.active(now),
        }
    }
}

impl Policy {
    /// Every permission `role` grants in `tenant`, through inclusions too.
    pub fn granted(&self, role: &str, tenant: &str) -> BTreeSet<String> {
        let all = || self.declared.iter().map(|p| (*p).to_owned());
        match role {
            "owner" | PLATFORM_ADMIN => return all().collect(),
            "admin" => {
                return all()
                    .filter(|p| !MANAGE_ACCESS.contains(&p.as_str()))
                    .collect();
            }
            "member" => return BTreeSet::new(),
            _ => {}
        }
        let Ok(root) = Uuid::try_parse(role) else {
            return BTreeSet::new();
        };
        let mut granted = BTreeSet::new();
        let mut seen = BTreeSet::new();
        let mut stack = vec![root];
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            if let Some(state) = self.roles.get(&id).filter(|r| r.tenant == tenant) {
                granted.extend(state.permissions.iter().cloned());
                stack.extend(state.includes.iter().copied());
            }
        }
        granted
    }

    /// One role of `tenant`: a custom role's id or a built-in role's name.
    pub fn role(&self, tenant: &str, id: &str) -> Option<RoleInfo> {
        let effective: Vec<String> = self.granted(id, tenant).into_iter().collect();
        if BUILT_IN.contains(&id) {
            return Some(RoleInfo {
                id: id.to_owned(),
                name: id.to_owned(),
                built_in: true,
                permissions: effective.clone(),
                includes: Vec::new(),
                effective,
            });
        }
        let uuid = Uuid::try_parse(id).ok()?;
        let state = self.roles.get(&uuid).filter(|r| r.tenant == tenant)?;
        let mut permissions: Vec<String> = state.permissions.iter().cloned().collect();
        permissions.sort();
        let mut includes: Vec<Uuid> = state.includes.iter().copied().collect();
        includes.sort();
        Some(RoleInfo {
            id: id.to_owned(),
            name: state.name.clone(),
            built_in: false,
            permissions,
            includes,
            effective,
        })
    }

    /// The roles of `tenant`, custom ones (by id, so in creation order) then built-in ones.
    pub fn roles(&self, tenant: &str, after: Option<&str>, limit: usize) -> Page<RoleInfo> {
        let ids = self
            .roles
            .iter()
            .filter(|(_, r)| r.tenant == tenant)
            .map(|(id, _)| id.to_string())
            .chain(BUILT_IN.iter().map(|r| (*r).to_owned()));
        let keyed = ids
            .filter(|id| after.is_none_or(|after| id.as_str() > after))
            .filter_map(|id| self.role(tenant, &id).map(|info| (id, info)))
            .collect();
        page(keyed, after, limit)
    }

    /// The bindings of `subject` made in `tenant` (another tenant's, platform-admin included,
    /// are not shown there).
    pub fn subject_bindings(
        &self,
        tenant: &str,
        subject: Uuid,
        now: DateTime<Utc>,
        after: Option<&str>,
        limit: usize,
    ) -> Page<BindingInfo> {
        let keyed = self
            .by_subject
            .get(&subject)
            .into_iter()
            .flatten()
            .filter_map(|id| Some((*id, self.bindings.get(id)?)))
            .filter(|(_, b)| b.tenant == tenant)
            .map(|(id, b)| (id.to_string(), b.info(id, now)))
            .collect();
        page(keyed, after, limit)
    }

    /// Every permission `subject` holds in `tenant` now, with the bindings that give it.
    pub fn effective_permissions(
        &self,
        tenant: &str,
        subject: Uuid,
        now: DateTime<Utc>,
        after: Option<&str>,
        limit: usize,
    ) -> Page<Held> {
        let mut held: BTreeMap<String, Held> = BTreeMap::new();
        for id in self.by_subject.get(&subject).into_iter().flatten() {
            let Some(binding) = self.bindings.get(id) else {
                continue;
            };
            if !binding.applies_in(tenant) || !binding.active(now) {
                continue;
            }
            for permission in self.granted(&binding.role, tenant) {
                let entry = held.entry(permission.clone()).or_insert_with(|| Held {
                    permission,
                    bindings: Vec::new(),
                    conditional: true,
                });
                entry.bindings.push(*id);
                entry.conditional &= binding.conditional();
            }
        }
        page(held.into_iter().collect(), after, limit)
    }

    /// The custom roles `subject`'s bindings name, in any tenant, and every role they include:
    /// what a decision about the subject reads besides its bindings.
    pub fn roles_of(&self, subject: Uuid) -> Vec<Uuid> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<Uuid> = self
            .by_subject
            .get(&subject)
            .into_iter()
            .flatten()
            .filter_map(|id| self.bindings.get(id))
            .filter_map(|b| Uuid::try_parse(&b.role).ok())
            .collect();
        while let Some(role) = stack.pop() {
            if seen.insert(role)
                && let Some(state) = self.roles.get(&role)
            {
                stack.extend(state.includes.iter().copied());
            }
        }
        seen.into_iter().collect()
    }

    /// Whether `actor` may administer `target`'s account in `tenant` (disable or enable it):
    /// only a platform administrator acts on another platform administrator, and the actor
    /// must hold, unconditionally, every permission the target holds there. So `admin` cannot
    /// disable an `owner` (it lacks access management), nor an owner a platform administrator:
    /// no one takes away access from someone they could not have given it to. `Err` says why.
    pub fn may_administer(
        &self,
        tenant: &str,
        actor: Uuid,
        target: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), String> {
        let platform_admin = |subject: Uuid| {
            self.by_subject
                .get(&subject)
                .into_iter()
                .flatten()
                .filter_map(|id| self.bindings.get(id))
                .any(|b| b.role == PLATFORM_ADMIN && b.active(now))
        };
        if platform_admin(actor) {
            return Ok(());
        }
        if platform_admin(target) {
            return Err(format!(
                "{target} is a platform administrator; only a platform administrator may change their account"
            ));
        }
        let held = |subject: Uuid| {
            self.effective_permissions(tenant, subject, now, None, usize::MAX)
                .items
        };
        let actor_holds: BTreeSet<String> = held(actor)
            .into_iter()
            .filter(|h| !h.conditional)
            .map(|h| h.permission)
            .collect();
        match held(target)
            .into_iter()
            .find(|h| !actor_holds.contains(&h.permission))
        {
            Some(missing) => Err(format!(
                "{target} holds {}, which {actor} does not hold in tenant {tenant}",
                missing.permission
            )),
            None => Ok(()),
        }
    }

    /// (reverse lookup), by subject id; platform administrators of other tenants are not listed.
    pub fn holders(
        &self,
        tenant: &str,
        permission: &str,
        now: DateTime<Utc>,
        after: Option<&str>,
        limit: usize,
    ) -> Page<Holder> {
        let mut grants: HashMap<&str, bool> = HashMap::new();
        let mut holders: BTreeMap<Uuid, Holder> = BTreeMap::new();
        for (id, binding) in &self.bindings {
            if binding.tenant != tenant || !binding.active(now) {
                continue;
            }
            let grants = *grants
                .entry(binding.role.as_str())
                .or_insert_with(|| self.granted(&binding.role, tenant).contains(permission));
            if !grants {
                continue;
            }
            let holder = holders.entry(binding.subject).or_insert_with(|| Holder {
                subject: binding.subject,
                bindings: Vec::new(),
                conditional: true,
            });
            holder.bindings.push(*id);
            holder.conditional &= binding.conditional();
        }
        for holder in holders.values_mut() {
            holder.bindings.sort();
        }
        let keyed = holders
            .into_iter()
            .map(|(subject, h)| (subject.to_string(), h))
            .collect();
        page(keyed, after, limit)
    }
}
