//! The authz topics' events, as consumers see them, and the mapping domain ⇄ Avro:
//! `authz.role`, `authz.binding` and `authz.decision`. [`EVENTS`] is what the authz module
//! registers; [`AuthzEvent`] is what consumers decode.

use apache_avro::types::Value;
use chrono::{DateTime, Utc};
use plinth_domain_authz::{BindingEvent, DecisionEvent, RoleEvent, Scope};
use uuid::Uuid;

use crate::{
    DecodeEvent, Error, EventSchema, EventSet, Fields, Result, event_schema, micros, nullable,
    payload, record,
};

/// The authz module's published events: `authz.role`, `authz.binding` and `authz.decision`.
pub static EVENTS: EventSet = EventSet {
    module: "authz",
    schemas: &SCHEMAS,
    encode,
};

macro_rules! authz {
    ($aggregate:literal, $event:literal) => {
        event_schema!(
            $aggregate,
            $event,
            concat!("plinth.authz.", $event),
            concat!("avro/authz/", $event, ".avsc")
        )
    };
}

static SCHEMAS: [EventSchema; 10] = [
    authz!("authz.role", "RoleCreated"),
    authz!("authz.role", "RoleRenamed"),
    authz!("authz.role", "RolePermissionsGranted"),
    authz!("authz.role", "RolePermissionsRevoked"),
    authz!("authz.role", "RoleIncluded"),
    authz!("authz.role", "RoleExcluded"),
    authz!("authz.role", "RoleDeleted"),
    authz!("authz.binding", "SubjectBound"),
    authz!("authz.binding", "SubjectUnbound"),
    authz!("authz.decision", "AccessDecided"),
];

fn encode(schema: &'static EventSchema, json: &serde_json::Value) -> Result<Value> {
    match schema.aggregate_type {
        "authz.role" => encode_role_event(schema.event_type, json),
        "authz.binding" => encode_binding_event(schema.event_type, json),
        _ => encode_decision_event(schema.event_type, json),
    }
}

/// Every authz event, as a downstream consumer decodes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthzEvent {
    RoleCreated(RoleCreatedV1),
    RoleRenamed(RoleRenamedV1),
    RolePermissionsGranted(RolePermissionsV1),
    RolePermissionsRevoked(RolePermissionsV1),
    RoleIncluded(RoleLinkV1),
    RoleExcluded(RoleLinkV1),
    RoleDeleted(RoleDeletedV1),
    SubjectBound(SubjectBoundV1),
    SubjectUnbound(SubjectUnboundV1),
    AccessDecided(AccessDecidedV2),
}

impl DecodeEvent for AuthzEvent {
    fn decode(record_name: &str, value: Value) -> Result<Self> {
        decode(record_name, value)
    }
}

/// `plinth.authz.RoleCreated`, version 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleCreatedV1 {
    pub role_id: Uuid,
    pub tenant_id: String,
    pub name: String,
    pub permissions: Vec<String>,
    pub at: DateTime<Utc>,
}

/// `plinth.authz.RoleRenamed`, version 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRenamedV1 {
    pub role_id: Uuid,
    pub tenant_id: String,
    pub name: String,
    pub at: DateTime<Utc>,
}

/// `plinth.authz.RolePermissionsGranted` and `RolePermissionsRevoked`, version 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolePermissionsV1 {
    pub role_id: Uuid,
    pub tenant_id: String,
    pub permissions: Vec<String>,
    pub at: DateTime<Utc>,
}

/// `plinth.authz.RoleIncluded` (`other` = included) and `RoleExcluded` (`other` = excluded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleLinkV1 {
    pub role_id: Uuid,
    pub tenant_id: String,
    pub other: Uuid,
    pub at: DateTime<Utc>,
}

/// `plinth.authz.RoleDeleted`, version 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleDeletedV1 {
    pub role_id: Uuid,
    pub tenant_id: String,
    pub at: DateTime<Utc>,
}

/// `plinth.authz.SubjectBound`, version 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectBoundV1 {
    pub binding_id: Uuid,
    pub tenant_id: String,
    pub subject: Uuid,
    /// `owner`, `admin`, `member`, `platform-admin`, or a custom role's id.
    pub role: String,
    pub scope_resource_type: Option<String>,
    pub scope_resource_id: Option<String>,
    pub owner_only: bool,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
}

/// `plinth.authz.SubjectUnbound`, version 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectUnboundV1 {
    pub binding_id: Uuid,
    pub tenant_id: String,
    pub subject: Uuid,
    pub at: DateTime<Utc>,
}

/// `plinth.authz.AccessDecided`, version 2: a decision the gateway reported for audit, or
/// repeated denials gathered into one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessDecidedV2 {
    pub decision_id: Uuid,
    pub tenant_id: String,
    pub subject: Uuid,
    pub permission: String,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub allowed: bool,
    pub reason: String,
    pub route: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub at: DateTime<Utc>,
    /// How many identical decisions this record stands for (version 2; 1 before).
    pub repeated: i32,
    /// For gathered repeats, when the first was decided (version 2).
    pub first_at: Option<DateTime<Utc>>,
}

fn strings(items: Vec<String>) -> Value {
    Value::Array(items.into_iter().map(Value::String).collect())
}

fn encode_role_event(event_type: &str, json: &serde_json::Value) -> Result<Value> {
    let role = |id: Uuid, tenant: &plinth_domain_core::TenantId| {
        vec![
            ("role_id", Value::Uuid(id)),
            ("tenant_id", Value::String(tenant.to_string())),
        ]
    };
    let mut fields;
    match payload::<RoleEvent>(event_type, json)? {
        RoleEvent::RoleCreated(e) => {
            fields = role(e.role_id, &e.tenant_id);
            fields.push(("name", Value::String(e.name.as_str().to_owned())));
            fields.push(("permissions", strings(e.permissions)));
            fields.push(("at", micros(e.at)));
        }
        RoleEvent::RoleRenamed(e) => {
            fields = role(e.role_id, &e.tenant_id);
            fields.push(("name", Value::String(e.name.as_str().to_owned())));
            fields.push(("at", micros(e.at)));
        }
        RoleEvent::RolePermissionsGranted(e) => {
            fields = role(e.role_id, &e.tenant_id);
            fields.push(("permissions", strings(e.permissions)));
            fields.push(("at", micros(e.at)));
        }
        RoleEvent::RolePermissionsRevoked(e) => {
            fields = role(e.role_id, &e.tenant_id);
            fields.push(("permissions", strings(e.permissions)));
            fields.push(("at", micros(e.at)));
        }
        RoleEvent::RoleIncluded(e) => {
            fields = role(e.role_id, &e.tenant_id);
            fields.push(("included", Value::Uuid(e.included)));
            fields.push(("at", micros(e.at)));
        }
        RoleEvent::RoleExcluded(e) => {
            fields = role(e.role_id, &e.tenant_id);
            fields.push(("excluded", Value::Uuid(e.excluded)));
            fields.push(("at", micros(e.at)));
        }
        RoleEvent::RoleDeleted(e) => {
            fields = role(e.role_id, &e.tenant_id);
            fields.push(("at", micros(e.at)));
        }
    }
    Ok(record(fields))
}

fn encode_binding_event(event_type: &str, json: &serde_json::Value) -> Result<Value> {
    Ok(match payload::<BindingEvent>(event_type, json)? {
        BindingEvent::SubjectBound(e) => {
            let (resource_type, resource_id) = match e.scope {
                Scope::Tenant => (None, None),
                Scope::ResourceType(t) => (Some(t), None),
                Scope::Resource { resource_type, id } => (Some(resource_type), Some(id)),
            };
            record(vec![
                ("binding_id", Value::Uuid(e.binding_id)),
                ("tenant_id", Value::String(e.tenant_id.to_string())),
                ("subject", Value::Uuid(e.subject)),
                ("role", Value::String(e.role.to_string())),
                (
                    "scope_resource_type",
                    nullable(resource_type.map(Value::String)),
                ),
                (
                    "scope_resource_id",
                    nullable(resource_id.map(Value::String)),
                ),
                ("owner_only", Value::Boolean(e.owner_only)),
                ("valid_from", nullable(e.valid_from.map(micros))),
                ("valid_until", nullable(e.valid_until.map(micros))),
                ("at", micros(e.at)),
            ])
        }
        BindingEvent::SubjectUnbound(e) => record(vec![
            ("binding_id", Value::Uuid(e.binding_id)),
            ("tenant_id", Value::String(e.tenant_id.to_string())),
            ("subject", Value::Uuid(e.subject)),
            ("at", micros(e.at)),
        ]),
    })
}

fn encode_decision_event(event_type: &str, json: &serde_json::Value) -> Result<Value> {
    let DecisionEvent::AccessDecided(e) = payload::<DecisionEvent>(event_type, json)?;
    let text = |v: Option<String>| nullable(v.map(Value::String));
    Ok(record(vec![
        ("decision_id", Value::Uuid(e.decision_id)),
        ("tenant_id", Value::String(e.tenant_id.to_string())),
        ("subject", Value::Uuid(e.subject)),
        ("permission", Value::String(e.permission)),
        ("resource_type", text(e.resource_type)),
        ("resource_id", text(e.resource_id)),
        ("allowed", Value::Boolean(e.allowed)),
        ("reason", Value::String(e.reason)),
        ("route", text(e.route)),
        ("source_ip", text(e.source_ip)),
        ("user_agent", text(e.user_agent)),
        ("at", micros(e.at)),
        (
            "repeated",
            Value::Int(i32::try_from(e.repeated).unwrap_or(i32::MAX)),
        ),
        ("first_at", nullable(e.first_at.map(micros))),
    ]))
}

fn decode(record_full_name: &str, value: Value) -> Result<AuthzEvent> {
    let Some(schema) = EVENTS.schema_for_record(record_full_name) else {
        return Err(Error::UnknownRecord(record_full_name.to_owned()));
    };
    let f = Fields::new(schema.record_name, value)?;
    let permissions = |f: &Fields| -> Result<RolePermissionsV1> {
        Ok(RolePermissionsV1 {
            role_id: f.uuid("role_id")?,
            tenant_id: f.string("tenant_id")?,
            permissions: f.strings("permissions")?,
            at: f.time("at")?,
        })
    };
    let link = |f: &Fields, other: &str| -> Result<RoleLinkV1> {
        Ok(RoleLinkV1 {
            role_id: f.uuid("role_id")?,
            tenant_id: f.string("tenant_id")?,
            other: f.uuid(other)?,
            at: f.time("at")?,
        })
    };
    Ok(match schema.event_type {
        "RoleCreated" => AuthzEvent::RoleCreated(RoleCreatedV1 {
            role_id: f.uuid("role_id")?,
            tenant_id: f.string("tenant_id")?,
            name: f.string("name")?,
            permissions: f.strings("permissions")?,
            at: f.time("at")?,
        }),
        "RoleRenamed" => AuthzEvent::RoleRenamed(RoleRenamedV1 {
            role_id: f.uuid("role_id")?,
            tenant_id: f.string("tenant_id")?,
            name: f.string("name")?,
            at: f.time("at")?,
        }),
        "RolePermissionsGranted" => AuthzEvent::RolePermissionsGranted(permissions(&f)?),
        "RolePermissionsRevoked" => AuthzEvent::RolePermissionsRevoked(permissions(&f)?),
        "RoleIncluded" => AuthzEvent::RoleIncluded(link(&f, "included")?),
        "RoleExcluded" => AuthzEvent::RoleExcluded(link(&f, "excluded")?),
        "RoleDeleted" => AuthzEvent::RoleDeleted(RoleDeletedV1 {
            role_id: f.uuid("role_id")?,
            tenant_id: f.string("tenant_id")?,
            at: f.time("at")?,
        }),
        "SubjectBound" => AuthzEvent::SubjectBound(SubjectBoundV1 {
            binding_id: f.uuid("binding_id")?,
            tenant_id: f.string("tenant_id")?,
            subject: f.uuid("subject")?,
            role: f.string("role")?,
            scope_resource_type: f.optional_string("scope_resource_type")?,
            scope_resource_id: f.optional_string("scope_resource_id")?,
            owner_only: f.boolean("owner_only")?,
            valid_from: f.optional_time("valid_from")?,
            valid_until: f.optional_time("valid_until")?,
            at: f.time("at")?,
        }),
        "SubjectUnbound" => AuthzEvent::SubjectUnbound(SubjectUnboundV1 {
            binding_id: f.uuid("binding_id")?,
            tenant_id: f.string("tenant_id")?,
            subject: f.uuid("subject")?,
            at: f.time("at")?,
        }),
        "AccessDecided" => AuthzEvent::AccessDecided(AccessDecidedV2 {
            decision_id: f.uuid("decision_id")?,
            tenant_id: f.string("tenant_id")?,
            subject: f.uuid("subject")?,
            permission: f.string("permission")?,
            resource_type: f.optional_string("resource_type")?,
            resource_id: f.optional_string("resource_id")?,
            allowed: f.boolean("allowed")?,
            reason: f.string("reason")?,
            route: f.optional_string("route")?,
            source_ip: f.optional_string("source_ip")?,
            user_agent: f.optional_string("user_agent")?,
            at: f.time("at")?,
            repeated: f.int("repeated")?,
            first_at: f.optional_time("first_at")?,
        }),
        other => return Err(Error::UnknownRecord(other.to_owned())),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use apache_avro::reader::datum::GenericDatumReader;
    use apache_avro::writer::datum::GenericDatumWriter;
    use chrono::TimeZone;
    use plinth_domain_authz::{BuiltInRole, RoleRef, SubjectBound};
    use plinth_domain_core::TenantId;

    use super::*;

    /// Encodes a stored event to Avro bytes and decodes them back.
    pub(crate) fn round_trip<E: DecodeEvent>(
        aggregate_type: &str,
        event_type: &str,
        json: &serde_json::Value,
    ) -> E {
        let avro = crate::test_support::encode(aggregate_type, event_type, json).unwrap();
        let mut bytes = Vec::new();
        GenericDatumWriter::builder(avro.schema.parsed())
            .build()
            .unwrap()
            .write_value(&mut bytes, avro.value)
            .unwrap();
        let back = GenericDatumReader::builder(avro.schema.parsed())
            .build()
            .unwrap()
            .read_value(&mut bytes.as_slice())
            .unwrap();
        E::decode(avro.schema.record_name, back).unwrap()
    }

    #[test]
    fn an_access_decision_round_trips_through_avro_bytes() {
        let at = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
        let decided = DecisionEvent::AccessDecided(plinth_domain_authz::AccessDecided {
            decision_id: Uuid::from_u128(9),
            tenant_id: TenantId::default(),
            subject: Uuid::from_u128(7),
            permission: "blog.post.edit".into(),
            resource_type: Some("blog.post".into()),
            resource_id: Some("42".into()),
            allowed: false,
            reason: "no binding grants blog.post.edit".into(),
            route: Some("PATCH /v1/blog/posts/{id}".into()),
            source_ip: None,
            user_agent: Some("curl/8".into()),
            at,
            repeated: 7,
            first_at: Some(at - chrono::Duration::seconds(3)),
        });
        let json = serde_json::to_value(decided).unwrap();
        let AuthzEvent::AccessDecided(e) = round_trip("authz.decision", "AccessDecided", &json)
        else {
            panic!("not a decision");
        };
        assert_eq!(e.decision_id, Uuid::from_u128(9));
        assert_eq!(e.resource_id.as_deref(), Some("42"));
        assert!(!e.allowed);
        assert_eq!(e.route.as_deref(), Some("PATCH /v1/blog/posts/{id}"));
        assert_eq!(
            (e.source_ip, e.user_agent.as_deref()),
            (None, Some("curl/8"))
        );
        assert_eq!(e.at, at);
        assert_eq!(
            (e.repeated, e.first_at),
            (7, Some(at - chrono::Duration::seconds(3)))
        );
    }

    #[test]
    fn a_scoped_time_bound_binding_round_trips_through_avro_bytes() {
        let at = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
        let bound = BindingEvent::SubjectBound(SubjectBound {
            binding_id: Uuid::from_u128(5),
            tenant_id: TenantId::default(),
            subject: Uuid::from_u128(7),
            role: RoleRef::BuiltIn(BuiltInRole::Admin),
            scope: Scope::Resource {
                resource_type: "blog.post".into(),
                id: "42".into(),
            },
            owner_only: true,
            valid_from: None,
            valid_until: Some(at),
            at,
        });
        let json = serde_json::to_value(bound).unwrap();
        let AuthzEvent::SubjectBound(e) = round_trip("authz.binding", "SubjectBound", &json) else {
            panic!("not a binding");
        };
        assert_eq!(e.role, "admin");
        assert_eq!(e.scope_resource_type.as_deref(), Some("blog.post"));
        assert_eq!(e.scope_resource_id.as_deref(), Some("42"));
        assert!(e.owner_only);
        assert_eq!((e.valid_from, e.valid_until), (None, Some(at)));
    }
}
