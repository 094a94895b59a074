//! The authorization vocabulary, parsed at the edge.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The roles every tenant has without creating them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BuiltInRole {
    /// Every permission in the tenant.
    Owner,
    /// Every permission in the tenant except managing roles and bindings.
    Admin,
    /// No permission beyond what any signed-in user may do on their own account.
    Member,
    /// Every permission in every tenant (bound once, by `plinth admin bootstrap`).
    PlatformAdmin,
}

impl BuiltInRole {
    pub const ALL: [Self; 4] = [Self::Owner, Self::Admin, Self::Member, Self::PlatformAdmin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Member => "member",
            Self::PlatformAdmin => "platform-admin",
        }
    }
}

/// The role a binding grants: a built-in one, or one created in the tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RoleRef {
    BuiltIn(BuiltInRole),
    Custom(Uuid),
}

impl RoleRef {
    /// `owner`, `admin`, `member`, `platform-admin`, or a custom role's id.
    pub fn parse(text: &str) -> Option<Self> {
        BuiltInRole::ALL
            .iter()
            .find(|r| r.as_str() == text)
            .map(|r| Self::BuiltIn(*r))
            .or_else(|| Uuid::try_parse(text).ok().map(Self::Custom))
    }
}

impl fmt::Display for RoleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BuiltIn(r) => f.write_str(r.as_str()),
            Self::Custom(id) => id.fmt(f),
        }
    }
}

/// Where a binding applies within its tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scope {
    /// Everything in the tenant.
    Tenant,
    /// Every resource of one type (`blog.post`).
    ResourceType(String),
    /// One resource.
    Resource { resource_type: String, id: String },
}

/// A role's name: 1–64 characters of lower-case letters, digits, `-` and `_`, not a built-in
/// role's name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RoleName(String);

/// Why a text is not a role name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoleNameError {
    #[error("a role name is 1 to 64 characters of a-z, 0-9, - and _")]
    Malformed,
    #[error("{0} is a built-in role")]
    BuiltIn(String),
}

impl RoleName {
    pub fn parse(text: &str) -> Result<Self, RoleNameError> {
        let text = text.trim();
        let ok = (1..=64).contains(&text.len())
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !ok {
            return Err(RoleNameError::Malformed);
        }
        if BuiltInRole::ALL.iter().any(|r| r.as_str() == text) {
            return Err(RoleNameError::BuiltIn(text.to_owned()));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RoleName {
    type Error = RoleNameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<RoleName> for String {
    fn from(value: RoleName) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_are_simple_and_never_built_in() {
        assert_eq!(RoleName::parse(" editors ").unwrap().as_str(), "editors");
        assert_eq!(RoleName::parse("Editors"), Err(RoleNameError::Malformed));
        assert_eq!(RoleName::parse(""), Err(RoleNameError::Malformed));
        assert_eq!(
            RoleName::parse("owner"),
            Err(RoleNameError::BuiltIn("owner".into()))
        );
    }

    #[test]
    fn a_role_reference_is_a_built_in_name_or_an_id() {
        assert_eq!(
            RoleRef::parse("platform-admin"),
            Some(RoleRef::BuiltIn(BuiltInRole::PlatformAdmin))
        );
        let id = Uuid::now_v7();
        assert_eq!(RoleRef::parse(&id.to_string()), Some(RoleRef::Custom(id)));
        assert_eq!(RoleRef::parse("editors"), None);
    }
}
