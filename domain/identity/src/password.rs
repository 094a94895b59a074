//! Passwords: the clear text on its way to the hasher, the policy it must meet, and the hash.

use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::Email;

/// A password in clear that met the [`PasswordPolicy`], only ever held on its way to the hasher.
/// It never prints itself and is never serialised.
#[derive(Clone)]
pub struct Password(String);

/// Which rule of the password policy a password broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("password must have at least {min} characters")]
    TooShort { min: usize },
    #[error("password must have at most {max} characters")]
    TooLong { max: usize },
    #[error("password must not contain the e-mail address's name part")]
    ContainsEmail,
    #[error("password is too common: it appears in lists of leaked passwords")]
    Common,
}

impl Password {
    /// The clear text, for the hasher only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// The rules a new password must meet (OWASP ASVS 2.1): a length range, not the account's own
/// e-mail name, not a commonly used password (a shipped list of about 11,600 from zxcvbn).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub min_chars: usize,
    pub max_chars: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_chars: 12,
            max_chars: 128,
        }
    }
}

/// Name parts shorter than this are too common to reject on.
const MIN_EMAIL_PART: usize = 3;

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../data/common-passwords.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect()
});

impl PasswordPolicy {
    /// Checks only the length of a password presented to be compared with a stored hash (at
    /// login, or as the current password): one longer than any password the policy accepts
    /// cannot match, and hashing it would only cost work.
    pub fn presented(&self, value: &str) -> Result<(), PasswordError> {
        if value.chars().count() > self.max_chars {
            return Err(PasswordError::TooLong {
                max: self.max_chars,
            });
        }
        Ok(())
    }

    /// Checks `value` against every rule, in order of how helpful the message is; `email` is the
    /// account's address when known.
    pub fn parse(&self, value: &str, email: Option<&Email>) -> Result<Password, PasswordError> {
        let chars = value.chars().count();
        if chars < self.min_chars {
            return Err(PasswordError::TooShort {
                min: self.min_chars,
            });
        }
        if chars > self.max_chars {
            return Err(PasswordError::TooLong {
                max: self.max_chars,
            });
        }
        let lowered = value.to_lowercase();
        if let Some(email) = email {
            let name = email.local_part();
            if name.chars().count() >= MIN_EMAIL_PART && lowered.contains(name) {
                return Err(PasswordError::ContainsEmail);
            }
        }
        if COMMON.contains(lowered.as_str()) {
            return Err(PasswordError::Common);
        }
        Ok(Password(value.to_owned()))
    }
}

/// A password hash in PHC string format (`$argon2id$v=19$m=19456,t=2,p=1$…`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PasswordHash(pub String);

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = self.0.split('$').nth(1).unwrap_or("?");
        write!(f, "PasswordHash(${scheme}$…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ada() -> Email {
        Email::parse("ada.lovelace@example.org").unwrap()
    }

    #[test]
    fn a_long_uncommon_password_passes_and_never_prints() {
        let password = PasswordPolicy::default()
            .parse("correct horse battery", Some(&ada()))
            .unwrap();
        assert_eq!(password.expose(), "correct horse battery");
        assert!(!format!("{password:?}").contains("horse"));
    }

    #[test]
    fn each_rule_names_itself() {
        let policy = PasswordPolicy::default();
        assert_eq!(
            policy.parse("short", None).unwrap_err(),
            PasswordError::TooShort { min: 12 }
        );
        assert_eq!(
            policy.parse(&"x".repeat(129), None).unwrap_err(),
            PasswordError::TooLong { max: 128 }
        );
        assert_eq!(
            policy
                .parse("my Ada.Lovelace secret", Some(&ada()))
                .unwrap_err(),
            PasswordError::ContainsEmail
        );
        assert_eq!(
            policy.parse("1QAZ2WSX3EDC", None).unwrap_err(),
            PasswordError::Common
        );
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert!(
            PasswordPolicy::default()
                .parse("ééééééééééé", None)
                .is_err(),
            "11 characters, 22 bytes"
        );
        assert!(
            PasswordPolicy::default()
                .parse("éééééééééééé", None)
                .is_ok()
        );
    }

    #[test]
    fn a_lower_minimum_still_rejects_common_passwords() {
        let policy = PasswordPolicy {
            min_chars: 8,
            max_chars: 128,
        };
        assert_eq!(
            policy.parse("password", None).unwrap_err(),
            PasswordError::Common
        );
        assert_eq!(
            policy.parse("baseball", None).unwrap_err(),
            PasswordError::Common
        );
        assert!(policy.parse("vq8#Lm2!", None).is_ok());
    }
}
