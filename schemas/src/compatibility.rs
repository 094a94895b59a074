use std::collections::HashMap;
use std::path::Path;

use apache_avro::Schema;
use apache_avro::schema_compatibility::SchemaCompatibility;
use sha2::{Digest, Sha256};

use crate::EventSchema;

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

/// A schema's fingerprint as `published.lock` records it: the SHA-256 of its canonical form.
pub fn fingerprint(schema: &Schema) -> String {
    hex::encode(Sha256::digest(schema.canonical_form().as_bytes()))
}

/// Holds published schemas to their lock and their earlier versions, for a module's tests:
/// `avro_dir/published.lock` pins each schema's fingerprint (`<record name> <sha256 of the
/// canonical form>` per line), and each `avro_dir/previous/<record name>.<anything>.avsc` is an
/// earlier published version the current schema must stay FULL-compatible with. Changing a
/// schema fails here until its old version is kept in `previous/` and the lock is updated.
/// Returns every problem found.
pub fn check_published<'a>(
    schemas: impl IntoIterator<Item = &'a EventSchema>,
    avro_dir: &Path,
) -> Result<(), Vec<String>> {
    let schemas: Vec<&EventSchema> = schemas.into_iter().collect();
    let mut problems = Vec::new();
    let lock_path = avro_dir.join("published.lock");
    let lock = std::fs::read_to_string(&lock_path).unwrap_or_default();
    let locked: HashMap<&str, &str> = lock
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once(' '))
        .collect();
    for schema in &schemas {
        let parsed = match Schema::parse_str(schema.avsc) {
            Ok(parsed) => parsed,
            Err(e) => {
                problems.push(format!("{} is not valid Avro: {e}", schema.record_name));
                continue;
            }
        };
        if let Schema::Record(record) = &parsed {
            if record.name.fullname(None) != schema.record_name {
                problems.push(format!(
                    "{} is declared, but its .avsc names {}",
                    schema.record_name,
                    record.name.fullname(None)
                ));
            }
        } else {
            problems.push(format!("{} is not a record", schema.record_name));
        }
        let actual = fingerprint(&parsed);
        if locked.get(schema.record_name).copied() != Some(actual.as_str()) {
            problems.push(format!(
                "{} changed or is new: keep its previous .avsc in {} and put `{} {actual}` in {}",
                schema.record_name,
                avro_dir.join("previous").display(),
                schema.record_name,
                lock_path.display(),
            ));
        }
    }
    if let Ok(entries) = std::fs::read_dir(avro_dir.join("previous")) {
        for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            let file = path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            if path.extension().is_none_or(|e| e != "avsc") {
                continue;
            }
            let Some(current) = schemas
                .iter()
                .find(|s| file.starts_with(&format!("{}.", s.record_name)))
            else {
                problems.push(format!(
                    "{file} is not a previous version of a published record"
                ));
                continue;
            };
            let previous = std::fs::read_to_string(&path)
                .map_err(|e| e.to_string())
                .and_then(|text| Schema::parse_str(&text).map_err(|e| e.to_string()))
                .and_then(|previous| {
                    check_compatibility(&previous, current.parsed(), Compatibility::Full)
                });
            if let Err(e) = previous {
                problems.push(format!("{file}: {e}"));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_schemas_are_the_ones_locked_and_compatible_with_their_previous_versions() {
        let catalog = crate::test_support::catalog();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("avro");
        if let Err(problems) = check_published(catalog.schemas().chain([&crate::WITHHELD]), &dir) {
            panic!("{}", problems.join("\n"));
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
