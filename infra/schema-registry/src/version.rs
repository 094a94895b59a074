//! Version ids in paths: a number from 1 to 2^31-1, or `latest` (also spelled `-1`).

use std::fmt;

use crate::error::{Error, Result};

/// Which version of a subject a request means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VersionId {
    Latest,
    Number(i32),
}

impl VersionId {
    /// Parses a path segment; anything else is [`Error::InvalidVersion`] (Confluent's 42202).
    pub(crate) fn parse(segment: &str) -> Result<Self> {
        if segment.eq_ignore_ascii_case("latest") {
            return Ok(Self::Latest);
        }
        match segment.parse::<i32>() {
            Ok(-1) => Ok(Self::Latest),
            Ok(number) if number >= 1 => Ok(Self::Number(number)),
            _ => Err(Error::InvalidVersion(segment.to_owned())),
        }
    }
}

impl fmt::Display for VersionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Latest => f.write_str("latest"),
            Self::Number(number) => write!(f, "{number}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_numbers_and_minus_one_are_versions_and_the_rest_is_invalid() {
        assert_eq!(VersionId::parse("latest").unwrap(), VersionId::Latest);
        assert_eq!(VersionId::parse("-1").unwrap(), VersionId::Latest);
        assert_eq!(VersionId::parse("7").unwrap(), VersionId::Number(7));
        for invalid in ["0", "-2", "abc", "2147483648", ""] {
            assert!(
                matches!(VersionId::parse(invalid), Err(Error::InvalidVersion(_))),
                "{invalid}"
            );
        }
    }
}
