//! The identity topic's events: domain ⇄ Avro.

use apache_avro::types::Value;
use chrono::{DateTime, Utc};
use plinth_domain_identity::UserEvent;
use uuid::Uuid;

use crate::{Error, Result, avro_error};

/// Full name of the `UserRegistered` record.
pub const USER_REGISTERED: &str = "plinth.identity.UserRegistered";

/// `plinth.identity.UserRegistered`, version 1, as consumers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRegisteredV1 {
    pub user_id: Uuid,
    pub tenant_id: String,
    pub email: String,
    pub display_name: String,
    pub registered_at: DateTime<Utc>,
}

pub(crate) fn encode_user_event(event_type: &str, payload: &serde_json::Value) -> Result<Value> {
    let event: UserEvent =
        serde_json::from_value(payload.clone()).map_err(|source| Error::Payload {
            event_type: event_type.to_owned(),
            source,
        })?;
    match event {
        UserEvent::UserRegistered(e) => Ok(Value::Record(vec![
            ("user_id".into(), Value::Uuid(e.user_id.0)),
            ("tenant_id".into(), Value::String(e.tenant_id.to_string())),
            ("email".into(), Value::String(e.email.as_str().to_owned())),
            (
                "display_name".into(),
                Value::String(e.display_name.as_str().to_owned()),
            ),
            (
                "registered_at".into(),
                Value::TimestampMicros(e.registered_at.timestamp_micros()),
            ),
        ])),
    }
}

pub(crate) fn decode_user_registered(value: Value) -> Result<UserRegisteredV1> {
    let bad = |what: &str| {
        avro_error(
            USER_REGISTERED,
            apache_avro::Error::from(apache_avro::error::Details::DeserializeValue(
                what.to_owned(),
            )),
        )
    };
    let Value::Record(fields) = value else {
        return Err(bad("not a record"));
    };
    let mut user_id = None;
    let mut tenant_id = None;
    let mut email = None;
    let mut display_name = None;
    let mut registered_at = None;
    for (name, value) in fields {
        match (name.as_str(), value) {
            ("user_id", Value::Uuid(v)) => user_id = Some(v),
            ("user_id", Value::String(v)) => user_id = Uuid::parse_str(&v).ok(),
            ("tenant_id", Value::String(v)) => tenant_id = Some(v),
            ("email", Value::String(v)) => email = Some(v),
            ("display_name", Value::String(v)) => display_name = Some(v),
            ("registered_at", Value::TimestampMicros(v) | Value::Long(v)) => {
                registered_at = DateTime::from_timestamp_micros(v);
            }
            _ => {}
        }
    }
    Ok(UserRegisteredV1 {
        user_id: user_id.ok_or_else(|| bad("user_id"))?,
        tenant_id: tenant_id.ok_or_else(|| bad("tenant_id"))?,
        email: email.ok_or_else(|| bad("email"))?,
        display_name: display_name.ok_or_else(|| bad("display_name"))?,
        registered_at: registered_at.ok_or_else(|| bad("registered_at"))?,
    })
}

#[cfg(test)]
mod tests {
    use apache_avro::reader::datum::GenericDatumReader;
    use apache_avro::writer::datum::GenericDatumWriter;
    use chrono::TimeZone;
    use plinth_domain_core::TenantId;
    use plinth_domain_identity::{DisplayName, Email, PasswordHash, UserId, UserRegistered};

    use super::*;
    use crate::{PublishedEvent, decode, encode};

    fn registered() -> UserEvent {
        UserEvent::UserRegistered(UserRegistered {
            user_id: UserId(Uuid::from_u128(42)),
            tenant_id: TenantId::default(),
            email: Email::parse("ada@example.org").unwrap(),
            display_name: DisplayName::parse("Ada").unwrap(),
            password_hash: PasswordHash("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
            registered_at: Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap(),
        })
    }

    #[test]
    fn a_registration_round_trips_through_avro_bytes_without_its_password_hash() {
        let payload = serde_json::to_value(registered()).unwrap();
        let avro = encode("identity.user", "UserRegistered", &payload).unwrap();
        let mut bytes = Vec::new();
        GenericDatumWriter::builder(avro.schema.parsed())
            .build()
            .unwrap()
            .write_value(&mut bytes, avro.value)
            .unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains("argon2"));
        let back = GenericDatumReader::builder(avro.schema.parsed())
            .build()
            .unwrap()
            .read_value(&mut bytes.as_slice())
            .unwrap();
        let PublishedEvent::UserRegistered(e) = decode(USER_REGISTERED, back).unwrap();
        assert_eq!(e.user_id, Uuid::from_u128(42));
        assert_eq!(e.email, "ada@example.org");
        assert_eq!(e.tenant_id, "default");
        assert_eq!(
            e.registered_at,
            Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
        );
    }

    #[test]
    fn an_unknown_event_type_is_refused_by_name() {
        let err = encode("identity.user", "UserLevitated", &serde_json::json!({})).unwrap_err();
        assert!(
            err.to_string().contains("identity.user/UserLevitated"),
            "{err}"
        );
    }
}
