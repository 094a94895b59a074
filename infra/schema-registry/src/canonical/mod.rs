//! AVRO schemas as the registry stores them: parsed once at the edge, kept with a canonical text
//! and its fingerprint.
//!
//! A schema is valid when apache-avro parses it. Its canonical text (see `normalize`) keeps
//! everything the client wrote that has a meaning — unlike Avro's "Parsing Canonical Form", which
//! drops defaults, docs and aliases that compatibility depends on — and drops only spelling:
//! formatting, key order, `{"type": "string"}` for `"string"`, how names are qualified. Two texts
//! of one schema therefore share one global id. Should that text ever fail to parse back to
//! itself, apache-avro's own serialisation of the schema is stored instead (it loses field
//! `order`, unknown logical types and attributes of primitive types).

mod normalize;

use apache_avro::Schema;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The only schema type this registry supports.
pub(crate) const AVRO: &str = "AVRO";

/// A valid AVRO schema with its canonical text and fingerprint.
#[derive(Debug, Clone)]
pub(crate) struct AvroSchema {
    parsed: Schema,
    canonical: String,
    fingerprint: String,
}

impl AvroSchema {
    /// Parses a schema as a client sent it; an invalid schema is an [`Error::InvalidSchema`]
    /// naming apache-avro's reason.
    pub(crate) fn parse(text: &str) -> Result<Self> {
        if text.trim().is_empty() {
            return Err(Error::InvalidSchema("Empty schema".to_owned()));
        }
        let parsed = Schema::parse_str(text).map_err(|e| Error::InvalidSchema(e.to_string()))?;
        let canonical = canonical_text(text, &parsed)?;
        let fingerprint = hex::encode(Sha256::digest(format!("{AVRO}\n{canonical}")));
        Ok(Self {
            parsed,
            canonical,
            fingerprint,
        })
    }

    /// The parsed schema, for compatibility checks.
    pub(crate) fn parsed(&self) -> &Schema {
        &self.parsed
    }

    /// The canonical text: what the registry stores and answers with.
    pub(crate) fn canonical(&self) -> &str {
        &self.canonical
    }

    /// The sha-256 (hex) of the schema type and canonical text: equal fingerprints, one id.
    pub(crate) fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
}

/// The canonical text of a schema apache-avro accepted as `parsed`.
fn canonical_text(text: &str, parsed: &Schema) -> Result<String> {
    if let Ok(json) = serde_json::from_str::<Value>(text) {
        let canonical = normalize::canonical_text(&json);
        let stable = Schema::parse_str(&canonical).is_ok()
            && serde_json::from_str::<Value>(&canonical)
                .is_ok_and(|again| normalize::canonical_text(&again) == canonical);
        if stable {
            return Ok(canonical);
        }
        tracing::warn!(
            schema = text,
            "The schema's canonical text is unstable; storing apache-avro's serialisation."
        );
    }
    let canonical = serde_json::to_string(parsed)
        .map_err(|e| Error::InvalidSchema(format!("the schema cannot be serialised: {e}")))?;
    Schema::parse_str(&canonical).map_err(|e| {
        Error::InvalidSchema(format!("the schema does not survive canonicalisation: {e}"))
    })?;
    Ok(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: &str = r#"{
        "type": "record", "name": "User", "namespace": "plinth.identity",
        "doc": "A user.",
        "aliases": ["Person"],
        "connect.name": "plinth.identity.User",
        "fields": [
            {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
            {"name": "email", "type": "string", "doc": "Lower-cased.", "aliases": ["mail"]},
            {"name": "age", "type": ["null", "int"], "default": null},
            {"name": "created", "type": {"type": "long", "logicalType": "timestamp-micros"}},
            {"name": "status", "type": {"type": "enum", "name": "Status",
                "symbols": ["ACTIVE", "LOCKED"], "default": "ACTIVE"}, "default": "LOCKED"},
            {"name": "balance", "type": {"type": "bytes", "logicalType": "decimal",
                "precision": 10, "scale": 2}},
            {"name": "tags", "type": {"type": "array", "items": "string"}, "default": []},
            {"name": "attributes", "type": {"type": "map", "values": "long"}, "default": {"b": 2, "a": 1}},
            {"name": "hash", "type": {"type": "fixed", "name": "Sha", "size": 32}},
            {"name": "previous", "type": ["null", "Sha"], "default": null},
            {"name": "home", "type": {"type": "record", "name": "Address",
                "fields": [{"name": "city", "type": "string", "default": "Paris"}]}},
            {"name": "work", "type": ["null", "Address"], "default": null}
        ]
    }"#;

    #[test]
    fn the_canonical_text_parses_back_to_itself() {
        let schema = AvroSchema::parse(USER).unwrap();
        let normalized = normalize::canonical_text(&serde_json::from_str(USER).unwrap());
        assert_eq!(schema.canonical(), normalized, "no fallback");
        let again = AvroSchema::parse(schema.canonical()).unwrap();
        assert_eq!(again.canonical(), schema.canonical());
        assert_eq!(again.fingerprint(), schema.fingerprint());
    }

    #[test]
    fn the_canonical_text_keeps_defaults_docs_aliases_and_logical_types() {
        let schema = AvroSchema::parse(USER).unwrap();
        let text = schema.canonical();
        for kept in [
            r#""doc":"A user.""#,
            r#""doc":"Lower-cased.""#,
            r#""aliases":["plinth.identity.Person"]"#,
            r#""aliases":["mail"]"#,
            r#""default":null"#,
            r#""default":"ACTIVE""#,
            r#""default":"LOCKED""#,
            r#""default":"Paris""#,
            r#""logicalType":"uuid""#,
            r#""logicalType":"timestamp-micros""#,
            r#""logicalType":"decimal""#,
            r#""connect.name":"plinth.identity.User""#,
        ] {
            assert!(text.contains(kept), "{kept} is missing from {text}");
        }
    }

    #[test]
    fn spelling_and_whitespace_do_not_change_the_fingerprint() {
        let a = AvroSchema::parse(
            r#"{"type":"record","name":"plinth.A","fields":[{"name":"x","type":"string"}]}"#,
        )
        .unwrap();
        let b = AvroSchema::parse(
            r#"{ "fields": [ {"type": {"type": "string"}, "name": "x"} ],
                 "name": "A", "namespace": "plinth", "type": "record" }"#,
        )
        .unwrap();
        assert_eq!(a.canonical(), b.canonical());
        assert_eq!(a.fingerprint(), b.fingerprint());
    }

    #[test]
    fn a_different_default_is_a_different_schema() {
        let a = AvroSchema::parse(
            r#"{"type":"record","name":"A","fields":[{"name":"x","type":"int","default":1}]}"#,
        )
        .unwrap();
        let b = AvroSchema::parse(
            r#"{"type":"record","name":"A","fields":[{"name":"x","type":"int","default":2}]}"#,
        )
        .unwrap();
        assert_ne!(a.fingerprint(), b.fingerprint());
    }

    #[test]
    fn primitive_schemas_are_valid() {
        let schema = AvroSchema::parse(r#""string""#).unwrap();
        assert_eq!(schema.canonical(), r#""string""#);
    }

    #[test]
    fn recursive_schemas_round_trip() {
        let text = r#"{"type":"record","name":"List","fields":[
            {"name":"value","type":"long"},
            {"name":"next","type":["null","List"],"default":null}]}"#;
        let schema = AvroSchema::parse(text).unwrap();
        assert_eq!(
            AvroSchema::parse(schema.canonical()).unwrap().canonical(),
            schema.canonical()
        );
    }

    #[test]
    fn logical_named_and_annotated_types_are_accepted_and_stable() {
        for text in [
            r#"{"type":"fixed","name":"D","size":8,"logicalType":"decimal","precision":18,"scale":4}"#,
            r#"{"type":"fixed","name":"U","size":16,"logicalType":"uuid"}"#,
            r#"{"type":"fixed","name":"Dur","size":12,"logicalType":"duration"}"#,
            r#"{"type":"int","logicalType":"date"}"#,
            r#"{"type":"int","logicalType":"time-millis"}"#,
            r#"{"type":"long","logicalType":"local-timestamp-millis"}"#,
            r#"{"type":"string","logicalType":"not-a-known-one"}"#,
            r#"{"type":"string","avro.java.string":"String"}"#,
            r#"{"type":"int","connect.type":"int16"}"#,
            r#"{"type":"record","name":"a.b.R","connect.version":2,"fields":[
                {"name":"x","type":"int","order":"descending"},
                {"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"],"default":"A"}},
                {"name":"e2","type":"E","default":"B"},
                {"name":"m","type":{"type":"map","values":{"type":"record","name":"V",
                    "namespace":"other","fields":[{"name":"v","type":"a.b.E"}]}}},
                {"name":"u","type":["null","other.V","R"],"default":null}]}"#,
        ] {
            let schema = AvroSchema::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            let again = AvroSchema::parse(schema.canonical()).unwrap();
            assert_eq!(again.canonical(), schema.canonical(), "{text}");
            let normalized = normalize::canonical_text(&serde_json::from_str(text).unwrap());
            assert_eq!(schema.canonical(), normalized, "no fallback for {text}");
        }
    }

    #[test]
    fn field_order_unknown_logical_types_and_primitive_attributes_are_kept() {
        let schema = AvroSchema::parse(
            r#"{"fields":[
                {"order":"descending","name":"a","type":{"type":"int","connect.type":"int16"}},
                {"name":"b","type":{"logicalType":"not-a-known-one","type":"string"}}],
              "name":"R","type":"record"}"#,
        )
        .unwrap();
        assert_eq!(
            schema.canonical(),
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"int","connect.type":"int16"},"order":"descending"},{"name":"b","type":{"type":"string","logicalType":"not-a-known-one"}}]}"#
        );
    }

    #[test]
    fn invalid_schemas_are_rejected_with_the_parse_error() {
        for text in [
            "",
            "{",
            r#"{"type":"record","name":"A"}"#,
            r#"{"type":"record","name":"A","fields":[{"name":"x","type":"Missing"}]}"#,
            r#"{"type":"record","name":"A","fields":[{"name":"x","type":"int","default":"no"}]}"#,
        ] {
            let error = AvroSchema::parse(text).unwrap_err();
            assert!(
                matches!(&error, Error::InvalidSchema(message) if !message.is_empty()),
                "{text}: {error:?}"
            );
        }
    }
}
