//! Inlining of named-type references before a compatibility check.

use std::collections::HashMap;

use apache_avro::Schema;
use apache_avro::schema::{Name, UnionSchema};

/// Replaces references to named types by their definitions, except references to a type from
/// inside itself (recursion). apache-avro compares a reference only with another reference of
/// the same name, so a type defined at a different place in two versions would otherwise look
/// like a type change.
pub(super) fn expand_references(schema: &Schema) -> Schema {
    let mut definitions = HashMap::new();
    collect_definitions(schema, &mut definitions);
    expand(schema, &definitions, &mut Vec::new())
}

fn collect_definitions(schema: &Schema, definitions: &mut HashMap<Name, Schema>) {
    if let Some(name) = schema.name()
        && !matches!(schema, Schema::Ref { .. })
    {
        definitions
            .entry(name.clone())
            .or_insert_with(|| schema.clone());
    }
    match schema {
        Schema::Record(record) => {
            for field in &record.fields {
                collect_definitions(&field.schema, definitions);
            }
        }
        Schema::Array(array) => collect_definitions(&array.items, definitions),
        Schema::Map(map) => collect_definitions(&map.types, definitions),
        Schema::Union(union) => {
            for variant in union.variants() {
                collect_definitions(variant, definitions);
            }
        }
        _ => {}
    }
}

fn expand(
    schema: &Schema,
    definitions: &HashMap<Name, Schema>,
    enclosing: &mut Vec<Name>,
) -> Schema {
    match schema {
        Schema::Ref { name } => match definitions.get(name) {
            Some(definition) if !enclosing.contains(name) => {
                expand(definition, definitions, enclosing)
            }
            _ => schema.clone(),
        },
        Schema::Record(record) => {
            enclosing.push(record.name.clone());
            let mut expanded = record.clone();
            for field in &mut expanded.fields {
                field.schema = expand(&field.schema, definitions, enclosing);
            }
            enclosing.pop();
            Schema::Record(expanded)
        }
        Schema::Array(array) => {
            let mut expanded = array.clone();
            expanded.items = Box::new(expand(&array.items, definitions, enclosing));
            Schema::Array(expanded)
        }
        Schema::Map(map) => {
            let mut expanded = map.clone();
            expanded.types = Box::new(expand(&map.types, definitions, enclosing));
            Schema::Map(expanded)
        }
        Schema::Union(union) => {
            let variants = union
                .variants()
                .iter()
                .map(|variant| expand(variant, definitions, enclosing))
                .collect();
            UnionSchema::new(variants).map_or_else(|_| schema.clone(), Schema::Union)
        }
        _ => schema.clone(),
    }
}
