//! Compatibility levels and the check a new schema must pass before it becomes a subject's next
//! version, built on apache-avro's schema resolution rules.
//!
//! BACKWARD: the new schema reads data written with the latest version. FORWARD: the latest
//! version reads data written with the new schema. FULL: both. The `_TRANSITIVE` levels check
//! every non-deleted version, not just the latest. A check passes only when the reader can read
//! *every* value of the writer (apache-avro's `Compatibility::Full`); a reader that can read only
//! some values (an enum missing symbols, a union missing branches) is incompatible, as in
//! Confluent's registry.

mod messages;
mod references;

use messages::{Side, can_read};
use references::expand_references;

use crate::canonical::AvroSchema;
use crate::error::{Error, Result};

/// A compatibility level, global or per subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum CompatibilityLevel {
    #[default]
    Backward,
    BackwardTransitive,
    Forward,
    ForwardTransitive,
    Full,
    FullTransitive,
    None,
}

impl CompatibilityLevel {
    /// Parses a level name, in any letter case; anything else is
    /// [`Error::InvalidCompatibilityLevel`].
    pub(crate) fn parse(name: &str) -> Result<Self> {
        Ok(match name.to_ascii_uppercase().as_str() {
            "BACKWARD" => Self::Backward,
            "BACKWARD_TRANSITIVE" => Self::BackwardTransitive,
            "FORWARD" => Self::Forward,
            "FORWARD_TRANSITIVE" => Self::ForwardTransitive,
            "FULL" => Self::Full,
            "FULL_TRANSITIVE" => Self::FullTransitive,
            "NONE" => Self::None,
            _ => return Err(Error::InvalidCompatibilityLevel),
        })
    }

    /// The level's name as Confluent spells it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Backward => "BACKWARD",
            Self::BackwardTransitive => "BACKWARD_TRANSITIVE",
            Self::Forward => "FORWARD",
            Self::ForwardTransitive => "FORWARD_TRANSITIVE",
            Self::Full => "FULL",
            Self::FullTransitive => "FULL_TRANSITIVE",
            Self::None => "NONE",
        }
    }

    fn is_transitive(self) -> bool {
        matches!(
            self,
            Self::BackwardTransitive | Self::ForwardTransitive | Self::FullTransitive
        )
    }

    /// Whether the new schema must read data written with the old ones.
    fn new_reads_old(self) -> bool {
        matches!(
            self,
            Self::Backward | Self::BackwardTransitive | Self::Full | Self::FullTransitive
        )
    }

    /// Whether the old schemas must read data written with the new one.
    fn old_reads_new(self) -> bool {
        matches!(
            self,
            Self::Forward | Self::ForwardTransitive | Self::Full | Self::FullTransitive
        )
    }
}

/// An earlier version the new schema is checked against.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Previous<'a> {
    pub(crate) version: i32,
    pub(crate) schema: &'a AvroSchema,
}

/// Checks `new` against `previous` (oldest first) under `level`. Non-transitive levels look at the
/// last element only. Returns Confluent-style messages explaining the first incompatibility found
/// (newest version first); an empty list means compatible.
pub(crate) fn check(
    level: CompatibilityLevel,
    new: &AvroSchema,
    previous: &[Previous<'_>],
) -> Vec<String> {
    let to_check = if level.is_transitive() {
        previous
    } else {
        previous.last().map_or(&[][..], std::slice::from_ref)
    };
    let new_schema = expand_references(new.parsed());
    for old in to_check.iter().rev() {
        let old_schema = expand_references(old.schema.parsed());
        let mut problem = None;
        if level.new_reads_old() {
            problem = can_read(&old_schema, &new_schema, Side::New);
        }
        if problem.is_none() && level.old_reads_new() {
            problem = can_read(&new_schema, &old_schema, Side::Old);
        }
        if let Some(problem) = problem {
            return vec![
                problem,
                format!("{{oldSchemaVersion: {}}}", old.version),
                format!("{{oldSchema: '{}'}}", old.schema.canonical()),
                format!("{{compatibility: '{}'}}", level.as_str()),
            ];
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn avro(text: &str) -> AvroSchema {
        AvroSchema::parse(text).unwrap()
    }

    fn user(fields: &str) -> AvroSchema {
        avro(&format!(
            r#"{{"type":"record","name":"User","fields":[{{"name":"id","type":"string"}}{fields}]}}"#
        ))
    }

    fn compatible(level: CompatibilityLevel, new: &AvroSchema, old: &[&AvroSchema]) -> bool {
        let previous: Vec<Previous<'_>> = old
            .iter()
            .zip(1..)
            .map(|(schema, version)| Previous { version, schema })
            .collect();
        check(level, new, &previous).is_empty()
    }

    #[test]
    fn backward_rejects_a_new_field_without_default_and_accepts_one_with_default() {
        let v1 = user("");
        let without = user(r#",{"name":"email","type":"string"}"#);
        let with = user(r#",{"name":"email","type":"string","default":""}"#);
        assert!(!compatible(CompatibilityLevel::Backward, &without, &[&v1]));
        assert!(compatible(CompatibilityLevel::Backward, &with, &[&v1]));
    }

    #[test]
    fn forward_accepts_a_new_field_without_default_and_rejects_removing_a_required_field() {
        let v1 = user(r#",{"name":"email","type":"string"}"#);
        let added = user(r#",{"name":"email","type":"string"},{"name":"age","type":"int"}"#);
        let removed = user("");
        assert!(compatible(CompatibilityLevel::Forward, &added, &[&v1]));
        assert!(!compatible(CompatibilityLevel::Forward, &removed, &[&v1]));
        assert!(compatible(CompatibilityLevel::Backward, &removed, &[&v1]));
    }

    #[test]
    fn full_needs_both_directions_and_none_accepts_anything() {
        let v1 = user("");
        let with_default = user(r#",{"name":"email","type":"string","default":""}"#);
        let without = user(r#",{"name":"email","type":"string"}"#);
        let other = avro(r#""int""#);
        assert!(compatible(CompatibilityLevel::Full, &with_default, &[&v1]));
        assert!(!compatible(CompatibilityLevel::Full, &without, &[&v1]));
        assert!(compatible(CompatibilityLevel::None, &other, &[&v1]));
    }

    #[test]
    fn transitive_levels_check_every_version_and_the_others_only_the_latest() {
        // v1 has a required string `email`, v2 dropped it, v3 re-adds it as an int with a default.
        let v1 = user(r#",{"name":"email","type":"string"}"#);
        let v2 = user("");
        let v3 = user(r#",{"name":"email","type":"int","default":0}"#);
        assert!(compatible(CompatibilityLevel::Backward, &v3, &[&v1, &v2]));
        assert!(!compatible(
            CompatibilityLevel::BackwardTransitive,
            &v3,
            &[&v1, &v2]
        ));
    }

    #[test]
    fn an_enum_losing_a_symbol_is_not_backward_compatible() {
        let v1 = avro(r#"{"type":"enum","name":"E","symbols":["A","B"]}"#);
        let v2 = avro(r#"{"type":"enum","name":"E","symbols":["A"]}"#);
        assert!(!compatible(CompatibilityLevel::Backward, &v2, &[&v1]));
        assert!(compatible(CompatibilityLevel::Forward, &v2, &[&v1]));
    }

    #[test]
    fn a_named_type_defined_at_another_place_is_still_the_same_type() {
        let address =
            r#"{"type":"record","name":"Address","fields":[{"name":"city","type":"string"}]}"#;
        let v1 = avro(&format!(
            r#"{{"type":"record","name":"P","fields":[
                {{"name":"home","type":{address},"default":{{"city":"x"}}}},
                {{"name":"work","type":"Address"}}]}}"#
        ));
        let v2 = avro(&format!(
            r#"{{"type":"record","name":"P","fields":[{{"name":"work","type":{address}}}]}}"#
        ));
        assert!(compatible(CompatibilityLevel::Full, &v2, &[&v1]));
    }

    #[test]
    fn the_messages_say_which_field_lacks_a_default_and_which_version_was_checked() {
        let v1 = user("");
        let v2 = user(r#",{"name":"email","type":"string"}"#);
        let messages = check(
            CompatibilityLevel::Backward,
            &v2,
            &[Previous {
                version: 1,
                schema: &v1,
            }],
        );
        assert!(messages[0].contains("READER_FIELD_MISSING_DEFAULT_VALUE"));
        assert!(messages[0].contains("'email'"));
        assert_eq!(messages[1], "{oldSchemaVersion: 1}");
        assert_eq!(messages[3], "{compatibility: 'BACKWARD'}");
    }

    #[test]
    fn level_names_parse_in_any_case_and_unknown_names_are_rejected() {
        assert_eq!(
            CompatibilityLevel::parse("full_transitive").unwrap(),
            CompatibilityLevel::FullTransitive
        );
        assert!(matches!(
            CompatibilityLevel::parse("SIDEWAYS"),
            Err(Error::InvalidCompatibilityLevel)
        ));
    }
}
