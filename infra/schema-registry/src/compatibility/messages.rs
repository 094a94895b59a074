//! Confluent-style messages explaining why one schema cannot read another.

use apache_avro::Schema;
use apache_avro::error::CompatibilityError;
use apache_avro::schema_compatibility::{Compatibility, SchemaCompatibility};

/// Which schema is the reader in one direction of a check.
#[derive(Debug, Clone, Copy)]
pub(super) enum Side {
    New,
    Old,
}

impl Side {
    fn reader(self) -> &'static str {
        match self {
            Side::New => "new",
            Side::Old => "old",
        }
    }

    fn writer(self) -> &'static str {
        match self {
            Side::New => "old",
            Side::Old => "new",
        }
    }
}

/// `None` when `reader` reads every value written with `writer`, else a message saying why not.
pub(super) fn can_read(writer: &Schema, reader: &Schema, side: Side) -> Option<String> {
    match SchemaCompatibility::can_read(writer, reader) {
        Ok(Compatibility::Full) => None,
        Ok(Compatibility::Partial) => Some(message(
            "MISSING_UNION_BRANCH",
            &format!(
                "The {} schema can read only some values of the {} schema: an enum lacks some of \
                 its symbols or a union lacks some of its branches",
                side.reader(),
                side.writer()
            ),
            "",
        )),
        Err(error) => Some(describe(&error, side, "")),
    }
}

fn describe(error: &CompatibilityError, side: Side, path: &str) -> String {
    let (reader, writer) = (side.reader(), side.writer());
    match error {
        CompatibilityError::FieldTypeMismatch(field, inner) => {
            describe(inner, side, &format!("{path}/fields/{field}"))
        }
        CompatibilityError::MissingDefaultValue(field) => message(
            "READER_FIELD_MISSING_DEFAULT_VALUE",
            &format!(
                "The field '{field}' at path '{path}/fields/{field}' in the {reader} schema has \
                 no default value and is missing in the {writer} schema"
            ),
            field,
        ),
        CompatibilityError::NameMismatch {
            writer_name,
            reader_name,
        } => message(
            "NAME_MISMATCH",
            &format!(
                "The type name '{reader_name}' at path '{path}/' in the {reader} schema does not \
                 match the type name '{writer_name}' in the {writer} schema"
            ),
            reader_name,
        ),
        CompatibilityError::FixedMismatch => message(
            "FIXED_SIZE_MISMATCH",
            &format!("The size of the fixed type at path '{path}/' differs between the schemas"),
            "",
        ),
        CompatibilityError::MissingSymbols => message(
            "MISSING_ENUM_SYMBOLS",
            &format!(
                "The enum at path '{path}/' in the {reader} schema has none of the symbols of the \
                 {writer} schema and no default"
            ),
            "",
        ),
        CompatibilityError::MissingUnionElements
        | CompatibilityError::SchemaMismatchAllUnionElements => message(
            "MISSING_UNION_BRANCH",
            &format!(
                "The {reader} schema at path '{path}/' cannot read any branch of the {writer} \
                 schema's union, or a union branch of the {writer} schema is missing in the \
                 {reader} schema"
            ),
            "",
        ),
        CompatibilityError::DecimalMismatch { .. } => {
            message("TYPE_MISMATCH", &format!("At path '{path}/': {error}"), "")
        }
        _ => message(
            "TYPE_MISMATCH",
            &format!(
                "The type at path '{path}/' in the {reader} schema cannot read the type of the \
                 {writer} schema"
            ),
            "",
        ),
    }
}

fn message(error_type: &str, description: &str, additional_info: &str) -> String {
    if additional_info.is_empty() {
        format!("{{errorType:'{error_type}', description:'{description}'}}")
    } else {
        format!(
            "{{errorType:'{error_type}', description:'{description}', additionalInfo:'{additional_info}'}}"
        )
    }
}
