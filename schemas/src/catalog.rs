use std::sync::OnceLock;

use apache_avro::Schema;

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
    const fn new(
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

    /// The parsed schema. The catalog's schemas are checked by this crate's tests.
    ///
    /// # Panics
    /// If a shipped `.avsc` file is not valid Avro, which the tests rule out.
    pub fn parsed(&self) -> &Schema {
        self.parsed.get_or_init(|| {
            Schema::parse_str(self.avsc)
                .unwrap_or_else(|e| panic!("{} is not valid Avro: {e}", self.record_name))
        })
    }
}

/// One catalog entry: the record `plinth.<namespace>.<event>` from
/// `avro/<namespace>/<event>.avsc`.
macro_rules! entry {
    ($namespace:literal, $aggregate:literal, $event:literal) => {
        EventSchema::new(
            $aggregate,
            $event,
            concat!("plinth.", $namespace, ".", $event),
            include_str!(concat!("../avro/", $namespace, "/", $event, ".avsc")),
        )
    };
}

static CATALOG: [EventSchema; 30] = [
    entry!("identity", "identity.user", "UserRegistered"),
    entry!("identity", "identity.user", "LoginSucceeded"),
    entry!("identity", "identity.user", "LoginFailed"),
    entry!("identity", "identity.user", "AccountLocked"),
    entry!("identity", "identity.user", "DisplayNameChanged"),
    entry!("identity", "identity.user", "PasswordChanged"),
    entry!("identity", "identity.user", "EmailVerificationIssued"),
    entry!("identity", "identity.user", "EmailVerified"),
    entry!("identity", "identity.user", "PasswordResetRequested"),
    entry!("identity", "identity.user", "PasswordResetIssued"),
    entry!("identity", "identity.user", "PasswordReset"),
    entry!("identity", "identity.user", "UserDisabled"),
    entry!("identity", "identity.user", "UserEnabled"),
    entry!("identity", "identity.user", "AdministratorBootstrapped"),
    entry!("identity", "identity.session", "SessionStarted"),
    entry!("identity", "identity.session", "SessionRefreshed"),
    entry!("identity", "identity.session", "SessionRevoked"),
    entry!("identity", "identity.signing_key", "SigningKeyRotated"),
    entry!("authz", "authz.role", "RoleCreated"),
    entry!("authz", "authz.role", "RoleRenamed"),
    entry!("authz", "authz.role", "RolePermissionsGranted"),
    entry!("authz", "authz.role", "RolePermissionsRevoked"),
    entry!("authz", "authz.role", "RoleIncluded"),
    entry!("authz", "authz.role", "RoleExcluded"),
    entry!("authz", "authz.role", "RoleDeleted"),
    entry!("authz", "authz.binding", "SubjectBound"),
    entry!("authz", "authz.binding", "SubjectUnbound"),
    entry!("authz", "authz.decision", "AccessDecided"),
    entry!("audit", "audit.trail", "RecordAppended"),
    entry!("audit", "audit.checkpoint", "CheckpointSigned"),
];

/// The record that stands in for a stored event an operator withheld (`plinth relay
/// withhold`): on any topic, for any aggregate type.
pub static WITHHELD: EventSchema = EventSchema::new(
    "*",
    "Withheld",
    "plinth.Withheld",
    include_str!("../avro/Withheld.avsc"),
);

/// Every published event type.
pub fn catalog() -> &'static [EventSchema] {
    &CATALOG
}

/// The schema of a stored event type.
pub fn schema_for_event(aggregate_type: &str, event_type: &str) -> Option<&'static EventSchema> {
    CATALOG
        .iter()
        .find(|s| s.aggregate_type == aggregate_type && s.event_type == event_type)
}

/// The schema with a record full name.
pub fn schema_for_record(record_name: &str) -> Option<&'static EventSchema> {
    CATALOG.iter().find(|s| s.record_name == record_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalog_schema_parses_and_is_named_as_declared() {
        for schema in catalog().iter().chain([&WITHHELD]) {
            let Schema::Record(record) = schema.parsed() else {
                panic!("{} is not a record", schema.record_name);
            };
            assert_eq!(record.name.fullname(None), schema.record_name);
        }
    }
}
