//! The identity topic's events: domain ⇄ Avro.

use apache_avro::types::Value;
use chrono::{DateTime, Utc};
use plinth_domain_identity::UserEvent;
use uuid::Uuid;

use crate::{Error, PublishedEvent, Result, avro_error};

/// Full names of the identity topic's records.
pub const USER_REGISTERED: &str = "plinth.identity.UserRegistered";
pub const LOGIN_SUCCEEDED: &str = "plinth.identity.LoginSucceeded";
pub const LOGIN_FAILED: &str = "plinth.identity.LoginFailed";
pub const ACCOUNT_LOCKED: &str = "plinth.identity.AccountLocked";
pub const DISPLAY_NAME_CHANGED: &str = "plinth.identity.DisplayNameChanged";
pub const PASSWORD_CHANGED: &str = "plinth.identity.PasswordChanged";

/// `plinth.identity.UserRegistered`, version 1, as consumers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRegisteredV1 {
    pub user_id: Uuid,
    pub tenant_id: String,
    pub email: String,
    pub display_name: String,
    pub registered_at: DateTime<Utc>,
}

/// `plinth.identity.LoginSucceeded` and `plinth.identity.PasswordChanged`, version 1: who, in
/// which tenant, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginV1 {
    pub user_id: Uuid,
    pub tenant_id: String,
    pub at: DateTime<Utc>,
}

/// `plinth.identity.LoginFailed`, version 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginFailedV1 {
    pub user_id: Uuid,
    pub tenant_id: String,
    pub at: DateTime<Utc>,
    pub consecutive_failures: i32,
}

/// `plinth.identity.AccountLocked`, version 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountLockedV1 {
    pub user_id: Uuid,
    pub tenant_id: String,
    pub at: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// `plinth.identity.DisplayNameChanged`, version 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayNameChangedV1 {
    pub user_id: Uuid,
    pub tenant_id: String,
    pub display_name: String,
    pub at: DateTime<Utc>,
}

fn micros(at: DateTime<Utc>) -> Value {
    Value::TimestampMicros(at.timestamp_micros())
}

pub(crate) fn encode_user_event(event_type: &str, payload: &serde_json::Value) -> Result<Value> {
    let event: UserEvent =
        serde_json::from_value(payload.clone()).map_err(|source| Error::Payload {
            event_type: event_type.to_owned(),
            source,
        })?;
    let fields = match event {
        UserEvent::UserRegistered(e) => vec![
            ("user_id", Value::Uuid(e.user_id.0)),
            ("tenant_id", Value::String(e.tenant_id.to_string())),
            ("email", Value::String(e.email.as_str().to_owned())),
            (
                "display_name",
                Value::String(e.display_name.as_str().to_owned()),
            ),
            ("registered_at", micros(e.registered_at)),
        ],
        UserEvent::PasswordChanged(e) => vec![
            ("user_id", Value::Uuid(e.user_id.0)),
            ("tenant_id", Value::String(e.tenant_id.to_string())),
            ("at", micros(e.at)),
        ],
        UserEvent::LoginSucceeded(e) => vec![
            ("user_id", Value::Uuid(e.user_id.0)),
            ("tenant_id", Value::String(e.tenant_id.to_string())),
            ("at", micros(e.at)),
        ],
        UserEvent::LoginFailed(e) => vec![
            ("user_id", Value::Uuid(e.user_id.0)),
            ("tenant_id", Value::String(e.tenant_id.to_string())),
            ("at", micros(e.at)),
            (
                "consecutive_failures",
                Value::Int(e.consecutive_failures.try_into().unwrap_or(i32::MAX)),
            ),
        ],
        UserEvent::DisplayNameChanged(e) => vec![
            ("user_id", Value::Uuid(e.user_id.0)),
            ("tenant_id", Value::String(e.tenant_id.to_string())),
            (
                "display_name",
                Value::String(e.display_name.as_str().to_owned()),
            ),
            ("at", micros(e.at)),
        ],
        UserEvent::AccountLocked(e) => vec![
            ("user_id", Value::Uuid(e.user_id.0)),
            ("tenant_id", Value::String(e.tenant_id.to_string())),
            ("at", micros(e.at)),
            ("until", micros(e.until)),
        ],
    };
    Ok(Value::Record(
        fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
    ))
}

/// The fields of a decoded record, read by name.
struct Fields {
    record: &'static str,
    fields: Vec<(String, Value)>,
}

impl Fields {
    fn new(record: &'static str, value: Value) -> Result<Self> {
        match value {
            Value::Record(fields) => Ok(Self { record, fields }),
            _ => Err(Self::bad(record, "not a record")),
        }
    }

    fn bad(record: &str, what: &str) -> Error {
        avro_error(
            record,
            apache_avro::Error::from(apache_avro::error::Details::DeserializeValue(
                what.to_owned(),
            )),
        )
    }

    fn get(&self, name: &str) -> Result<&Value> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .ok_or_else(|| Self::bad(self.record, name))
    }

    fn uuid(&self, name: &str) -> Result<Uuid> {
        match self.get(name)? {
            Value::Uuid(v) => Ok(*v),
            Value::String(v) => Uuid::parse_str(v).map_err(|_| Self::bad(self.record, name)),
            _ => Err(Self::bad(self.record, name)),
        }
    }

    fn string(&self, name: &str) -> Result<String> {
        match self.get(name)? {
            Value::String(v) => Ok(v.clone()),
            _ => Err(Self::bad(self.record, name)),
        }
    }

    fn int(&self, name: &str) -> Result<i32> {
        match self.get(name)? {
            Value::Int(v) => Ok(*v),
            _ => Err(Self::bad(self.record, name)),
        }
    }

    fn time(&self, name: &str) -> Result<DateTime<Utc>> {
        match self.get(name)? {
            Value::TimestampMicros(v) | Value::Long(v) => {
                DateTime::from_timestamp_micros(*v).ok_or_else(|| Self::bad(self.record, name))
            }
            _ => Err(Self::bad(self.record, name)),
        }
    }
}

pub(crate) fn decode(record_full_name: &str, value: Value) -> Result<PublishedEvent> {
    match record_full_name {
        USER_REGISTERED => {
            let f = Fields::new(USER_REGISTERED, value)?;
            Ok(PublishedEvent::UserRegistered(UserRegisteredV1 {
                user_id: f.uuid("user_id")?,
                tenant_id: f.string("tenant_id")?,
                email: f.string("email")?,
                display_name: f.string("display_name")?,
                registered_at: f.time("registered_at")?,
            }))
        }
        LOGIN_SUCCEEDED => {
            let f = Fields::new(LOGIN_SUCCEEDED, value)?;
            Ok(PublishedEvent::LoginSucceeded(LoginV1 {
                user_id: f.uuid("user_id")?,
                tenant_id: f.string("tenant_id")?,
                at: f.time("at")?,
            }))
        }
        LOGIN_FAILED => {
            let f = Fields::new(LOGIN_FAILED, value)?;
            Ok(PublishedEvent::LoginFailed(LoginFailedV1 {
                user_id: f.uuid("user_id")?,
                tenant_id: f.string("tenant_id")?,
                at: f.time("at")?,
                consecutive_failures: f.int("consecutive_failures")?,
            }))
        }
        ACCOUNT_LOCKED => {
            let f = Fields::new(ACCOUNT_LOCKED, value)?;
            Ok(PublishedEvent::AccountLocked(AccountLockedV1 {
                user_id: f.uuid("user_id")?,
                tenant_id: f.string("tenant_id")?,
                at: f.time("at")?,
                until: f.time("until")?,
            }))
        }
        PASSWORD_CHANGED => {
            let f = Fields::new(PASSWORD_CHANGED, value)?;
            Ok(PublishedEvent::PasswordChanged(LoginV1 {
                user_id: f.uuid("user_id")?,
                tenant_id: f.string("tenant_id")?,
                at: f.time("at")?,
            }))
        }
        DISPLAY_NAME_CHANGED => {
            let f = Fields::new(DISPLAY_NAME_CHANGED, value)?;
            Ok(PublishedEvent::DisplayNameChanged(DisplayNameChangedV1 {
                user_id: f.uuid("user_id")?,
                tenant_id: f.string("tenant_id")?,
                display_name: f.string("display_name")?,
                at: f.time("at")?,
            }))
        }
        other => Err(Error::UnknownRecord(other.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use apache_avro::reader::datum::GenericDatumReader;
    use apache_avro::writer::datum::GenericDatumWriter;
    use chrono::TimeZone;
    use plinth_domain_core::TenantId;
    use plinth_domain_identity::{DisplayName, Email, PasswordHash, UserId, UserRegistered};

    use super::*;
    use crate::{decode, encode};

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
        let PublishedEvent::UserRegistered(e) = decode(USER_REGISTERED, back).unwrap() else {
            panic!("not a registration");
        };
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
