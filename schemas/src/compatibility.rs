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

    use std::path::Path;

    use sha2::{Digest, Sha256};

    fn manifest_dir() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
    }

    fn fingerprint(schema: &Schema) -> String {
        hex::encode(Sha256::digest(schema.canonical_form().as_bytes()))
    }

    /// `avro/published.lock` pins each published schema. Changing one fails here until the
    /// old version is kept in `avro/previous/` (where the next test holds the new one to it)
    /// and the lock is updated.
    #[test]
    fn every_published_schema_is_the_one_locked_or_its_change_is_recorded() {
        let lock = std::fs::read_to_string(manifest_dir().join("avro/published.lock")).unwrap();
        let locked: std::collections::HashMap<&str, &str> = lock
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| l.split_once(' '))
            .collect();
        for schema in catalog::catalog().iter().chain([&catalog::WITHHELD]) {
            let actual = fingerprint(schema.parsed());
            assert_eq!(
                locked.get(schema.record_name).copied(),
                Some(actual.as_str()),
                "{} changed or is new: keep its previous .avsc in schemas/avro/previous/ and put `{} {actual}` in schemas/avro/published.lock",
                schema.record_name,
                schema.record_name,
            );
        }
    }

    /// Each file `avro/previous/<record full name>.<anything>.avsc` is an earlier published
    /// version; the current schema must stay FULL-compatible with it.
    #[test]
    fn every_published_schema_is_fully_compatible_with_its_previous_versions() {
        let Ok(entries) = std::fs::read_dir(manifest_dir().join("avro/previous")) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let file = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.extension().is_none_or(|e| e != "avsc") {
                continue;
            }
            let previous = Schema::parse_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let record = catalog::catalog()
                .iter()
                .find(|s| file.starts_with(&format!("{}.", s.record_name)))
                .unwrap_or_else(|| {
                    panic!("{file} is not a previous version of a published record")
                });
            check_compatibility(&previous, record.parsed(), Compatibility::Full)
                .unwrap_or_else(|e| panic!("{file}: {e}"));
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
