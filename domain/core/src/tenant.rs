use std::fmt;

use serde::{Deserialize, Serialize};

/// A tenant's identifier: 1–63 lowercase letters, digits and hyphens, starting with a letter or
/// digit (it may appear in a subdomain). Single-tenant deployments use [`TenantId::default`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantId(String);

/// Why a string is not a tenant id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenantIdError {
    #[error("a tenant id must not be empty")]
    Empty,
    #[error("a tenant id has at most 63 characters")]
    TooLong,
    #[error(
        "a tenant id may contain only lowercase letters, digits and '-', and must not start with '-'"
    )]
    InvalidCharacter,
}

impl TenantId {
    /// The tenant of single-tenant deployments.
    pub const DEFAULT: &'static str = "default";

    pub fn parse(value: &str) -> Result<Self, TenantIdError> {
        if value.is_empty() {
            return Err(TenantIdError::Empty);
        }
        if value.len() > 63 {
            return Err(TenantIdError::TooLong);
        }
        let valid = value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid || value.starts_with('-') {
            return Err(TenantIdError::InvalidCharacter);
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for TenantId {
    fn default() -> Self {
        Self(Self::DEFAULT.to_owned())
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for TenantId {
    type Error = TenantIdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<TenantId> for String {
    fn from(value: TenantId) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slug_is_a_tenant_id() {
        assert_eq!(TenantId::parse("acme-1").unwrap().as_str(), "acme-1");
    }

    #[test]
    fn uppercase_spaces_and_leading_hyphens_are_rejected() {
        assert_eq!(
            TenantId::parse("Acme"),
            Err(TenantIdError::InvalidCharacter)
        );
        assert_eq!(TenantId::parse("a b"), Err(TenantIdError::InvalidCharacter));
        assert_eq!(TenantId::parse("-a"), Err(TenantIdError::InvalidCharacter));
        assert_eq!(TenantId::parse(""), Err(TenantIdError::Empty));
        assert_eq!(
            TenantId::parse(&"a".repeat(64)),
            Err(TenantIdError::TooLong)
        );
    }
}
