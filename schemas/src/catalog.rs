//! Event schemas, the sets a module publishes, and the [`Catalog`] assembled from every
//! registered module's set.

use std::sync::OnceLock;

use apache_avro::Schema;
use apache_avro::types::Value;

use crate::{AvroEvent, Error, Result, avro_error};

/// One published event type.
#[derive(Debug)]
pub struct EventSchema {
    /// The aggregate type whose topic carries it (`identity.user`).
    pub aggregate_type: &'static str,
    /// The domain event type as stored (`UserRegistered`).
    pub event_type: &'static str,
    /// The Avro record's full name (`plinth.identity.UserRegistered`).
    pub record_name: &'static str,
    /// The `.avsc` text.
    pub avsc: &'static str,
    parsed: OnceLock<Schema>,
}

impl EventSchema {
    /// A schema; [`event_schema!`](crate::event_schema) builds one from a file of the crate.
    pub const fn new(
        aggregate_type: &'static str,
        event_type: &'static str,
        record_name: &'static str,
        avsc: &'static str,
    ) -> Self {
        Self {
            aggregate_type,
            event_type,
            record_name,
            avsc,
            parsed: OnceLock::new(),
        }
    }

    /// The parsed schema. Every set's schemas are checked by its crate's tests
    /// ([`check_published`](crate::check_published)).
    ///
    /// # Panics
    /// If a shipped `.avsc` file is not valid Avro, which those tests rule out.
    pub fn parsed(&self) -> &Schema {
        self.parsed.get_or_init(|| {
            Schema::parse_str(self.avsc)
                .unwrap_or_else(|e| panic!("{} is not valid Avro: {e}", self.record_name))
        })
    }
}

/// An [`EventSchema`] whose `.avsc` is a file of the calling crate:
/// `event_schema!("blog.post", "PostCreated", "plinth.blog.PostCreated", "avro/PostCreated.avsc")`.
#[macro_export]
macro_rules! event_schema {
    ($aggregate:expr, $event:expr, $record:expr, $file:expr) => {
        $crate::EventSchema::new(
            $aggregate,
            $event,
            $record,
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/", $file)),
        )
    };
}

/// Maps a stored event of a set (its schema, its JSON payload as the event store keeps it) to
/// its Avro value; the catalog resolves the value against the schema.
pub type Encoder = fn(&'static EventSchema, &serde_json::Value) -> Result<Value>;

/// Everything one module publishes: its event schemas and how its stored events map to them.
#[derive(Debug)]
pub struct EventSet {
    /// The module that owns these events (`identity`).
    pub module: &'static str,
    pub schemas: &'static [EventSchema],
    pub encode: Encoder,
}

impl EventSet {
    /// The aggregate types of the set, each once.
    pub fn aggregate_types(&self) -> Vec<&'static str> {
        let mut types: Vec<&'static str> = self.schemas.iter().map(|s| s.aggregate_type).collect();
        types.sort_unstable();
        types.dedup();
        types
    }

    /// The set's schema with a record full name.
    pub fn schema_for_record(&self, record_name: &str) -> Option<&'static EventSchema> {
        self.schemas.iter().find(|s| s.record_name == record_name)
    }
}

/// The record that stands in for a stored event an operator withheld (`plinth relay
/// withhold`): on any topic, for any aggregate type.
pub static WITHHELD: EventSchema = EventSchema::new(
    "*",
    "Withheld",
    "plinth.Withheld",
    include_str!("../avro/Withheld.avsc"),
);

/// Every published event type of the registered modules.
#[derive(Debug, Clone)]
pub struct Catalog {
    sets: Vec<&'static EventSet>,
}

impl Catalog {
    /// The catalog of `sets`. Each aggregate type is named `<module>.<type>` after its set's
    /// module (so no two modules share one), each record name and each (aggregate type, event type)
    /// appears once, no set uses the reserved `plinth.Withheld`, and every schema parses.
    pub fn new(sets: impl IntoIterator<Item = &'static EventSet>) -> Result<Self> {
        let sets: Vec<&'static EventSet> = sets.into_iter().collect();
        let mut records = std::collections::HashSet::new();
        let mut events = std::collections::HashSet::new();
        for set in &sets {
            for schema in set.schemas {
                let duplicate = |what: String| Error::Catalog(format!("{what} ({})", set.module));
                if !schema
                    .aggregate_type
                    .strip_prefix(set.module)
                    .is_some_and(|rest| rest.starts_with('.'))
                {
                    return Err(duplicate(format!(
                        "aggregate type {} is not <module>.<type> of its module",
                        schema.aggregate_type
                    )));
                }
                if schema.record_name == WITHHELD.record_name {
                    return Err(duplicate(format!(
                        "record {} is reserved",
                        schema.record_name
                    )));
                }
                if let Err(e) = Schema::parse_str(schema.avsc) {
                    return Err(duplicate(format!(
                        "{} is not valid Avro: {e}",
                        schema.record_name
                    )));
                }
                if !records.insert(schema.record_name) {
                    return Err(duplicate(format!(
                        "record {} is declared twice",
                        schema.record_name
                    )));
                }
                if !events.insert((schema.aggregate_type, schema.event_type)) {
                    return Err(duplicate(format!(
                        "event {}/{} is declared twice",
                        schema.aggregate_type, schema.event_type
                    )));
                }
            }
        }
        Ok(Self { sets })
    }

    /// The sets, in registration order.
    pub fn sets(&self) -> &[&'static EventSet] {
        &self.sets
    }

    /// Every published event type.
    pub fn schemas(&self) -> impl Iterator<Item = &'static EventSchema> + '_ {
        self.sets.iter().flat_map(|set| set.schemas.iter())
    }

    /// Every published aggregate type (one topic each), sorted.
    pub fn aggregate_types(&self) -> Vec<&'static str> {
        let mut types: Vec<&'static str> = self.schemas().map(|s| s.aggregate_type).collect();
        types.sort_unstable();
        types.dedup();
        types
    }

    /// The schema of a stored event type.
    pub fn schema_for_event(
        &self,
        aggregate_type: &str,
        event_type: &str,
    ) -> Option<&'static EventSchema> {
        self.schemas()
            .find(|s| s.aggregate_type == aggregate_type && s.event_type == event_type)
    }

    /// The schema with a record full name.
    pub fn schema_for_record(&self, record_name: &str) -> Option<&'static EventSchema> {
        self.schemas().find(|s| s.record_name == record_name)
    }

    /// Maps a stored domain event (as the event store keeps it: aggregate type, event type and
    /// JSON payload) to its published Avro value.
    pub fn encode(
        &self,
        aggregate_type: &str,
        event_type: &str,
        payload: &serde_json::Value,
    ) -> Result<AvroEvent> {
        let unknown = || Error::UnknownEvent {
            aggregate_type: aggregate_type.to_owned(),
            event_type: event_type.to_owned(),
        };
        let (set, schema) = self
            .sets
            .iter()
            .find_map(|set| {
                set.schemas
                    .iter()
                    .find(|s| s.aggregate_type == aggregate_type && s.event_type == event_type)
                    .map(|schema| (set, schema))
            })
            .ok_or_else(unknown)?;
        let value = (set.encode)(schema, payload)?
            .resolve(schema.parsed())
            .map_err(|e| avro_error(schema.record_name, e))?;
        Ok(AvroEvent { schema, value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static TELEPORTED: [EventSchema; 1] = [EventSchema::new(
        "identity.user",
        "UserTeleported",
        "plinth.impostor.UserTeleported",
        r#"{"type":"record","name":"UserTeleported","namespace":"plinth.impostor","fields":[]}"#,
    )];
    static CLASHING: EventSet = EventSet {
        module: "impostor",
        schemas: &TELEPORTED,
        encode: |_, _| Ok(Value::Null),
    };

    #[test]
    fn a_module_publishes_only_its_own_aggregate_types_and_each_record_once() {
        let err = Catalog::new([&CLASHING]).unwrap_err();
        assert!(
            err.to_string()
                .contains("aggregate type identity.user is not <module>.<type> of its module"),
            "{err}"
        );
        let err = Catalog::new([&crate::authz::EVENTS, &crate::authz::EVENTS]).unwrap_err();
        assert!(err.to_string().contains("is declared twice"), "{err}");
    }

    #[test]
    fn a_stored_event_no_module_registered_has_no_schema() {
        let catalog = Catalog::new([&crate::authz::EVENTS]).unwrap();
        let err = catalog
            .encode("identity.user", "UserRegistered", &serde_json::json!({}))
            .unwrap_err();
        assert!(matches!(err, Error::UnknownEvent { .. }), "{err}");
        assert_eq!(
            catalog.aggregate_types(),
            ["authz.binding", "authz.decision", "authz.role"]
        );
    }
}
