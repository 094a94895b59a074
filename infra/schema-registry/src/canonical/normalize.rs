//! The canonical JSON text of a schema that apache-avro has already accepted.
//!
//! Like Java Avro's `Schema.toString()` (what Confluent stores), it keeps every attribute —
//! defaults, docs, aliases, `order`, logical types (known or not) and custom properties such as
//! Kafka Connect's `connect.*`, on primitive types too — and only removes spelling differences:
//! whitespace, key order, `{"type": "string"}` for `"string"`, and how names are qualified (a
//! named type is written with its short `name` and explicit `namespace`, references and aliases
//! by full name). Keys are written in a fixed order, schema keys first, so the text reads well.

use std::collections::HashSet;
use std::fmt::Write as _;

use serde_json::{Map, Value};

const PRIMITIVES: [&str; 8] = [
    "null", "boolean", "int", "long", "float", "double", "bytes", "string",
];

const NAMED: [&str; 4] = ["record", "error", "enum", "fixed"];

/// Keys of a schema written first, in this order; the others follow alphabetically.
const KEY_ORDER: &[&str] = &[
    "type",
    "name",
    "namespace",
    "doc",
    "aliases",
    "fields",
    "symbols",
    "items",
    "values",
    "size",
    "logicalType",
    "precision",
    "scale",
    "default",
    "order",
];

/// Keys of a record field written first, in this order.
const FIELD_KEY_ORDER: &[&str] = &["name", "type", "doc", "default", "order", "aliases"];

/// The canonical text of `schema` (a schema as JSON).
pub(super) fn canonical_text(schema: &Value) -> String {
    let mut defined = HashSet::new();
    collect_names(schema, None, &mut defined);
    let normalized = Normalizer { defined: &defined }.schema(schema, None);
    let mut out = String::new();
    write(&normalized, KEY_ORDER, &mut out);
    out
}

/// The full name and the namespace its children inherit, for a named type's JSON.
fn full_name(
    map: &Map<String, Value>,
    enclosing: Option<&str>,
) -> Option<(String, Option<String>)> {
    let name = map.get("name")?.as_str()?;
    if let Some((namespace, _)) = name.rsplit_once('.') {
        return Some((name.to_owned(), Some(namespace.to_owned())));
    }
    let namespace = match map.get("namespace") {
        Some(Value::String(namespace)) => Some(namespace.as_str()),
        Some(_) => None,
        None => enclosing,
    }
    .filter(|namespace| !namespace.is_empty());
    Some(match namespace {
        Some(namespace) => (format!("{namespace}.{name}"), Some(namespace.to_owned())),
        None => (name.to_owned(), None),
    })
}

fn is_named(map: &Map<String, Value>) -> bool {
    map.get("type")
        .and_then(Value::as_str)
        .is_some_and(|kind| NAMED.contains(&kind))
}

/// Every named type's full name, so references can be resolved like Avro does.
fn collect_names(schema: &Value, enclosing: Option<&str>, defined: &mut HashSet<String>) {
    match schema {
        Value::Array(variants) => {
            for variant in variants {
                collect_names(variant, enclosing, defined);
            }
        }
        Value::Object(map) => {
            let mut namespace = enclosing.map(str::to_owned);
            if is_named(map)
                && let Some((name, inner)) = full_name(map, enclosing)
            {
                defined.insert(name);
                namespace = inner;
            }
            let namespace = namespace.as_deref();
            if let Some(Value::Array(fields)) = map.get("fields") {
                for field in fields {
                    if let Some(kind) = field.get("type") {
                        collect_names(kind, namespace, defined);
                    }
                }
            }
            for key in ["type", "items", "values"] {
                if let Some(inner @ (Value::Object(_) | Value::Array(_))) = map.get(key) {
                    collect_names(inner, namespace, defined);
                }
            }
        }
        _ => {}
    }
}

struct Normalizer<'a> {
    defined: &'a HashSet<String>,
}

impl Normalizer<'_> {
    fn schema(&self, schema: &Value, namespace: Option<&str>) -> Value {
        match schema {
            Value::String(name) => Value::String(self.reference(name, namespace)),
            Value::Array(variants) => Value::Array(
                variants
                    .iter()
                    .map(|variant| self.schema(variant, namespace))
                    .collect(),
            ),
            Value::Object(map) => self.object(map, namespace),
            other => other.clone(),
        }
    }

    fn object(&self, map: &Map<String, Value>, namespace: Option<&str>) -> Value {
        let Some(kind) = map.get("type") else {
            return Value::Object(map.clone());
        };
        let kind_name = kind.as_str().unwrap_or_default();
        if NAMED.contains(&kind_name) {
            return self.named(map, namespace);
        }
        let mut out = map.clone();
        match kind_name {
            "array" => {
                if let Some(items) = map.get("items") {
                    out.insert("items".to_owned(), self.schema(items, namespace));
                }
            }
            "map" => {
                if let Some(values) = map.get("values") {
                    out.insert("values".to_owned(), self.schema(values, namespace));
                }
            }
            _ => {
                // A primitive, a reference, or a schema nested under "type": alone it is
                // written as the type itself.
                let kind = self.schema(kind, namespace);
                if map.len() == 1 {
                    return kind;
                }
                out.insert("type".to_owned(), kind);
            }
        }
        Value::Object(out)
    }

    fn named(&self, map: &Map<String, Value>, enclosing: Option<&str>) -> Value {
        let Some((full, namespace)) = full_name(map, enclosing) else {
            return Value::Object(map.clone());
        };
        let namespace = namespace.as_deref();
        let mut out = map.clone();
        let short = full
            .rsplit_once('.')
            .map_or(full.as_str(), |(_, short)| short);
        out.insert("name".to_owned(), Value::String(short.to_owned()));
        match namespace {
            Some(namespace) => {
                out.insert("namespace".to_owned(), Value::String(namespace.to_owned()));
            }
            None => {
                out.remove("namespace");
            }
        }
        if let Some(Value::Array(aliases)) = map.get("aliases") {
            let aliases = aliases
                .iter()
                .map(|alias| match alias {
                    Value::String(alias) => Value::String(qualify(alias, namespace)),
                    other => other.clone(),
                })
                .collect();
            out.insert("aliases".to_owned(), Value::Array(aliases));
        }
        if let Some(Value::Array(fields)) = map.get("fields") {
            let fields = fields
                .iter()
                .map(|field| match field {
                    Value::Object(field) => {
                        let mut field = field.clone();
                        if let Some(kind) = field.get("type") {
                            let kind = self.schema(kind, namespace);
                            field.insert("type".to_owned(), kind);
                        }
                        Value::Object(field)
                    }
                    other => other.clone(),
                })
                .collect();
            out.insert("fields".to_owned(), Value::Array(fields));
        }
        Value::Object(out)
    }

    /// A type name used as a schema: primitives as they are, other names by full name, resolved
    /// in the enclosing namespace first, as Avro does.
    fn reference(&self, name: &str, namespace: Option<&str>) -> String {
        if PRIMITIVES.contains(&name) || name.contains('.') {
            return name.to_owned();
        }
        let qualified = qualify(name, namespace);
        if self.defined.contains(&qualified) {
            qualified
        } else {
            name.to_owned()
        }
    }
}

fn qualify(name: &str, namespace: Option<&str>) -> String {
    match namespace {
        Some(namespace) if !name.contains('.') => format!("{namespace}.{name}"),
        _ => name.to_owned(),
    }
}

/// Compact JSON with object keys in `key_order`, then alphabetical; the elements of a `fields`
/// array are written in [`FIELD_KEY_ORDER`].
fn write(value: &Value, key_order: &[&str], out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by_key(|key| {
                let rank = key_order
                    .iter()
                    .position(|known| known == key)
                    .unwrap_or(key_order.len());
                (rank, key.as_str())
            });
            out.push('{');
            for (i, key) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*key).clone()).to_string());
                out.push(':');
                let value = &map[key.as_str()];
                match value {
                    Value::Array(fields) if key.as_str() == "fields" => {
                        write_array(fields, FIELD_KEY_ORDER, out);
                    }
                    _ => write(value, KEY_ORDER, out),
                }
            }
            out.push('}');
        }
        Value::Array(items) => write_array(items, KEY_ORDER, out),
        scalar => {
            // `Display` of a JSON scalar is its compact JSON; writing to a String cannot fail.
            let _ = write!(out, "{scalar}");
        }
    }
}

fn write_array(items: &[Value], key_order: &[&str], out: &mut String) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write(item, key_order, out);
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(text: &str) -> String {
        canonical_text(&serde_json::from_str(text).unwrap())
    }

    #[test]
    fn primitives_in_object_form_without_attributes_are_written_as_names() {
        assert_eq!(canonical(r#"{"type":"string"}"#), r#""string""#);
        assert_eq!(
            canonical(r#"{"connect.type":"int16","type":"int"}"#),
            r#"{"type":"int","connect.type":"int16"}"#
        );
    }

    #[test]
    fn named_types_get_a_short_name_an_explicit_namespace_and_full_references() {
        assert_eq!(
            canonical(
                r#"{"type":"record","name":"a.R","aliases":["Old"],"fields":[
                    {"name":"e","type":{"type":"enum","name":"E","symbols":["X"]}},
                    {"name":"f","type":"E","order":"descending"}]}"#
            ),
            r#"{"type":"record","name":"R","namespace":"a","aliases":["a.Old"],"fields":[{"name":"e","type":{"type":"enum","name":"E","namespace":"a","symbols":["X"]}},{"name":"f","type":"a.E","order":"descending"}]}"#
        );
    }

    #[test]
    fn a_short_reference_to_a_type_of_the_null_namespace_stays_short() {
        let text = canonical(
            r#"{"type":"record","name":"Outer","fields":[
                {"name":"t","type":{"type":"fixed","name":"T","size":1}},
                {"name":"r","type":{"type":"record","name":"x.Inner","fields":[{"name":"u","type":"T"}]}}]}"#,
        );
        assert!(text.contains(r#"{"name":"u","type":"T"}"#), "{text}");
    }
}
