use apache_avro::Schema;
use apache_avro::schema_compatibility::SchemaCompatibility;

/// How a new version of a schema must relate to the previous one (the registry's modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compatibility {
    /// Consumers on the new schema read data written with the old one.
    Backward,
    /// Consumers on the old schema read data written with the new one.
    Forward,
    /// Both.
    Full,
}

/// Checks `new` against `old` under `mode`; the error says which direction failed and why.
pub fn check_compatibility(old: &Schema, new: &Schema, mode: Compatibility) -> Result<(), String> {
    let backward = || {
        SchemaCompatibility::can_read(old, new)
            .map(drop)
            .map_err(|e| format!("new schema cannot read old data: {e}"))
    };
    let forward = || {
        SchemaCompatibility::can_read(new, old)
            .map(drop)
            .map_err(|e| format!("old schema cannot read new data: {e}"))
    };
    match mode {
        Compatibility::Backward => backward(),
        Compatibility::Forward => forward(),
        Compatibility::Full => backward().and_then(|()| forward()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;

    /// Previous versions of published schemas, kept under `avro/previous/` when a schema changes.
    /// Each current schema must stay FULL-compatible with every previous one.
    const PREVIOUS: &[(&str, &str)] = &[];

    #[test]
    fn every_published_schema_is_fully_compatible_with_its_previous_versions() {
        for (record, previous) in PREVIOUS {
            let current = catalog::schema_for_record(record)
                .expect("a previous version of an unpublished record");
            let previous = Schema::parse_str(previous).unwrap();
            check_compatibility(&previous, current.parsed(), Compatibility::Full)
                .unwrap_or_else(|e| panic!("{record}: {e}"));
        }
    }

    fn record(fields: &str) -> Schema {
        Schema::parse_str(&format!(
            r#"{{"type":"record","name":"R","namespace":"plinth.t","fields":[{fields}]}}"#
        ))
        .unwrap()
    }

    #[test]
    fn adding_a_field_with_a_default_is_fully_compatible() {
        let old = record(r#"{"name":"a","type":"string"}"#);
        let new =
            record(r#"{"name":"a","type":"string"},{"name":"b","type":"string","default":""}"#);
        assert_eq!(check_compatibility(&old, &new, Compatibility::Full), Ok(()));
    }

    #[test]
    fn adding_a_field_without_a_default_breaks_backward_compatibility() {
        let old = record(r#"{"name":"a","type":"string"}"#);
        let new = record(r#"{"name":"a","type":"string"},{"name":"b","type":"string"}"#);
        assert!(check_compatibility(&old, &new, Compatibility::Backward).is_err());
        assert_eq!(
            check_compatibility(&old, &new, Compatibility::Forward),
            Ok(())
        );
    }
}
