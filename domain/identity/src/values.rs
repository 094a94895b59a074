//! Value types parsed at the edge: once constructed they are valid.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A user's identifier (UUID v7, so ids sort by creation time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub Uuid);

impl UserId {
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }
}

impl Default for UserId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An e-mail address, trimmed and lowercased so that uniqueness ignores case. Only addresses a
/// mail transfer agent accepts without quoting are taken: the part before `@` is a dot-atom of
/// ASCII letters, digits and ``!#$%&'*+-/=?^_`{|}~`` (RFC 5322 §3.2.3: no spaces, quotes,
/// `;,:()<>[]\` or leading, trailing or doubled dots), the domain has at least two labels of
/// letters, digits and inner hyphens (internationalised labels are sent in their ASCII form).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("e-mail address is empty")]
    Empty,
    #[error("e-mail address is longer than 254 characters")]
    TooLong,
    #[error("e-mail address must have the form local@domain")]
    Malformed,
    #[error(
        "the part before @ may hold only ASCII letters, digits, inner dots and !#$%&'*+-/=?^_`{{|}}~ (at most 64)"
    )]
    LocalPart,
    #[error(
        "the domain must be labels of letters, digits and inner hyphens joined by dots, like example.org"
    )]
    Domain,
}

/// What RFC 5322 allows in an atom besides letters and digits.
const ATEXT_SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~";

impl Email {
    pub fn parse(value: &str) -> Result<Self, EmailError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(EmailError::Empty);
        }
        if value.chars().count() > 254 {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = value.rsplit_once('@').ok_or(EmailError::Malformed)?;
        if local.is_empty() || domain.is_empty() {
            return Err(EmailError::Malformed);
        }
        let atom = |a: &str| {
            !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ATEXT_SPECIALS.contains(c))
        };
        if local.len() > 64 || !local.split('.').all(atom) {
            return Err(EmailError::LocalPart);
        }
        let label = |l: &str| {
            !l.is_empty()
                && l.chars().count() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        if !domain.contains('.') || !domain.split('.').all(label) {
            return Err(EmailError::Domain);
        }
        Ok(Self(value.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the `@`.
    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map_or(&self.0, |(local, _)| local)
    }
}

impl TryFrom<String> for Email {
    type Error = EmailError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

/// The name shown for a user: 1–100 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DisplayName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisplayNameError {
    #[error("display name is empty")]
    Empty,
    #[error("display name is longer than 100 characters")]
    TooLong,
    #[error("display name contains control characters")]
    ControlCharacter,
}

impl DisplayName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(value: &str) -> Result<Self, DisplayNameError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(DisplayNameError::Empty);
        }
        if value.chars().count() > Self::MAX_CHARS {
            return Err(DisplayNameError::TooLong);
        }
        if value.chars().any(char::is_control) {
            return Err(DisplayNameError::ControlCharacter);
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DisplayName {
    type Error = DisplayNameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<DisplayName> for String {
    fn from(value: DisplayName) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_is_trimmed_and_lowercased() {
        let email = Email::parse("  Ada.Lovelace@Example.ORG ").unwrap();
        assert_eq!(email.as_str(), "ada.lovelace@example.org");
        assert_eq!(email.local_part(), "ada.lovelace");
    }

    #[test]
    fn malformed_emails_are_rejected() {
        for bad in ["ada", "@example.org", "ada@"] {
            assert_eq!(Email::parse(bad), Err(EmailError::Malformed), "{bad}");
        }
        for bad in [
            "ada@example",
            "ada@exa..mple.org",
            "ada@-x.org",
            "ada@x_y.org",
        ] {
            assert_eq!(Email::parse(bad), Err(EmailError::Domain), "{bad}");
        }
        assert_eq!(Email::parse("  "), Err(EmailError::Empty));
    }

    #[test]
    fn only_unquoted_dot_atoms_are_accepted_before_the_at() {
        for bad in [
            "a da@example.org",
            "ada@@example.org",
            "a;b@example.org",
            "a(b)@example.org",
            "a,b@example.org",
            "<ada>@example.org",
            "a[b]@example.org",
            "a:b@example.org",
            "\"ada\"@example.org",
            "a\\b@example.org",
            ".ada@example.org",
            "ada.@example.org",
            "a..da@example.org",
            "adä@example.org",
        ] {
            assert_eq!(Email::parse(bad), Err(EmailError::LocalPart), "{bad}");
        }
        for good in [
            "ada+tag@example.org",
            "o'brien@example.org",
            "a.b-c_d@mail.example.org",
            "x!#$%&*/=?^`{|}~@example.org",
            "ada@bücher.example",
        ] {
            assert!(Email::parse(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(DisplayName::parse(" Ada ").unwrap().as_str(), "Ada");
        assert_eq!(DisplayName::parse(" "), Err(DisplayNameError::Empty));
        assert_eq!(
            DisplayName::parse(&"x".repeat(101)),
            Err(DisplayNameError::TooLong)
        );
        assert_eq!(
            DisplayName::parse("a\u{7}b"),
            Err(DisplayNameError::ControlCharacter)
        );
    }
}

/// The SHA-256 (hex) of a random token handed to a user. Tokens have 256 bits of entropy, so a
/// fast hash is enough; only the hash is ever stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TokenHash(pub String);

/// A single-use token as the aggregate keeps it: its hash and when it stops working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneTimeToken {
    pub hash: TokenHash,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

impl OneTimeToken {
    /// Whether `presented` is this token and it has not expired at `now`.
    pub fn accepts(&self, presented: &TokenHash, now: chrono::DateTime<chrono::Utc>) -> bool {
        self.hash == *presented && now < self.expires_at
    }
}
