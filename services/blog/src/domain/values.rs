//! The Blog's values, parsed at the edge: once constructed they are valid. Read back from
//! stored events they are taken as written (`serde(transparent)`), so tightening a rule later
//! never makes an old event unreadable.

use serde::{Deserialize, Serialize};

/// A post's title: 1 to 200 characters once trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Title(String);

/// A post's or a comment's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Text(String);

/// A tag: 1 to 32 of lower-case ASCII letters, digits and inner hyphens.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Tag(String);

/// A post's tags: at most 10, each once, sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Tags(Vec<Tag>);

/// Why a value is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {0} characters")]
    TooLong(usize),
    #[error("a tag is 1 to 32 lower-case letters, digits and inner hyphens, not {0:?}")]
    Tag(String),
    #[error("at most 10 tags")]
    TooManyTags,
}

impl Title {
    pub const MAX: usize = 200;

    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(ValueError::Empty);
        }
        if text.chars().count() > Self::MAX {
            return Err(ValueError::TooLong(Self::MAX));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Text {
    /// The longest post body; a comment's is [`Text::COMMENT_MAX`].
    pub const POST_MAX: usize = 100_000;
    pub const COMMENT_MAX: usize = 5_000;

    /// A text of at most `max` characters, not blank.
    pub fn parse(text: &str, max: usize) -> Result<Self, ValueError> {
        if text.trim().is_empty() {
            return Err(ValueError::Empty);
        }
        if text.chars().count() > max {
            return Err(ValueError::TooLong(max));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Tag {
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let ok = (1..=32).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !text.starts_with('-')
            && !text.ends_with('-');
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(ValueError::Tag(text.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Tags {
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<Self, ValueError> {
        if items.len() > 10 {
            return Err(ValueError::TooManyTags);
        }
        let mut tags = items
            .iter()
            .map(|t| Tag::parse(t.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        tags.sort();
        tags.dedup();
        Ok(Self(tags))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Tag> {
        self.0.iter()
    }

    /// The tags as strings.
    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(|t| t.0.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(Title::parse("  Hello ").unwrap().as_str(), "Hello");
        assert_eq!(Title::parse("   "), Err(ValueError::Empty));
        assert_eq!(
            Title::parse(&"x".repeat(201)),
            Err(ValueError::TooLong(200))
        );
    }

    #[test]
    fn tags_are_sorted_once_and_well_formed() {
        let tags = Tags::parse(&["rust", "cqrs", "rust"]).unwrap();
        assert_eq!(tags.names(), ["cqrs", "rust"]);
        assert!(matches!(Tags::parse(&["Rust"]), Err(ValueError::Tag(_))));
        assert!(matches!(Tags::parse(&["-x"]), Err(ValueError::Tag(_))));
        let eleven: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
        assert_eq!(Tags::parse(&eleven), Err(ValueError::TooManyTags));
    }
}
