//! The identity topics' events, as consumers see them, and the mapping domain ⇄ Avro:
//! `identity.user` in `user.rs`, `identity.session` in `session.rs`. [`EVENTS`] is what the
//! identity module registers; [`IdentityEvent`] is what consumers decode.

mod session;
mod user;

use apache_avro::types::Value;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{DecodeEvent, EventSchema, EventSet, Result, event_schema, micros, record};

/// The identity module's published events: `identity.user`, `identity.session` and
/// `identity.signing_key`.
pub static EVENTS: EventSet = EventSet {
    module: "identity",
    schemas: &SCHEMAS,
    encode,
};

macro_rules! identity {
    ($aggregate:literal, $event:literal) => {
        event_schema!(
            $aggregate,
            $event,
            concat!("plinth.identity.", $event),
            concat!("avro/identity/", $event, ".avsc")
        )
    };
}

static SCHEMAS: [EventSchema; 18] = [
    identity!("identity.user", "UserRegistered"),
    identity!("identity.user", "LoginSucceeded"),
    identity!("identity.user", "LoginFailed"),
    identity!("identity.user", "AccountLocked"),
    identity!("identity.user", "DisplayNameChanged"),
    identity!("identity.user", "PasswordChanged"),
    identity!("identity.user", "EmailVerificationIssued"),
    identity!("identity.user", "EmailVerified"),
    identity!("identity.user", "PasswordResetRequested"),
    identity!("identity.user", "PasswordResetIssued"),
    identity!("identity.user", "PasswordReset"),
    identity!("identity.user", "UserDisabled"),
    identity!("identity.user", "UserEnabled"),
    identity!("identity.user", "AdministratorBootstrapped"),
    identity!("identity.session", "SessionStarted"),
    identity!("identity.session", "SessionRefreshed"),
    identity!("identity.session", "SessionRevoked"),
    identity!("identity.signing_key", "SigningKeyRotated"),
];

fn encode(schema: &'static EventSchema, payload: &serde_json::Value) -> Result<Value> {
    match schema.aggregate_type {
        "identity.session" => session::encode_session_event(schema.event_type, payload),
        "identity.signing_key" => encode_signing_key_event(schema.event_type, payload),
        _ => user::encode_user_event(schema.event_type, payload),
    }
}

/// Every identity event, as a downstream consumer decodes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityEvent {
    UserRegistered(UserRegisteredV1),
    LoginSucceeded(UserFactV1),
    LoginFailed(LoginFailedV1),
    AccountLocked(AccountLockedV1),
    DisplayNameChanged(DisplayNameChangedV1),
    PasswordChanged(PasswordChangedV2),
    EmailVerificationIssued(TokenIssuedV1),
    EmailVerified(EmailVerifiedV1),
    PasswordResetRequested(UserFactV1),
    PasswordResetIssued(TokenIssuedV1),
    PasswordReset(UserFactV1),
    UserDisabled(UserFactV1),
    UserEnabled(UserFactV1),
    AdministratorBootstrapped(UserFactV1),
    SessionStarted(SessionStartedV1),
    SessionRefreshed(SessionRefreshedV1),
    SessionRevoked(SessionRevokedV1),
    SigningKeyRotated(SigningKeyRotatedV1),
}

/// Full names of the identity topics' records.
pub const USER_REGISTERED: &str = "plinth.identity.UserRegistered";
pub const LOGIN_SUCCEEDED: &str = "plinth.identity.LoginSucceeded";
pub const LOGIN_FAILED: &str = "plinth.identity.LoginFailed";
pub const ACCOUNT_LOCKED: &str = "plinth.identity.AccountLocked";
pub const DISPLAY_NAME_CHANGED: &str = "plinth.identity.DisplayNameChanged";
pub const PASSWORD_CHANGED: &str = "plinth.identity.PasswordChanged";
pub const EMAIL_VERIFICATION_ISSUED: &str = "plinth.identity.EmailVerificationIssued";
pub const EMAIL_VERIFIED: &str = "plinth.identity.EmailVerified";
pub const PASSWORD_RESET_REQUESTED: &str = "plinth.identity.PasswordResetRequested";
pub const PASSWORD_RESET_ISSUED: &str = "plinth.identity.PasswordResetIssued";
pub const PASSWORD_RESET: &str = "plinth.identity.PasswordReset";
pub const USER_DISABLED: &str = "plinth.identity.UserDisabled";
pub const USER_ENABLED: &str = "plinth.identity.UserEnabled";
pub const ADMINISTRATOR_BOOTSTRAPPED: &str = "plinth.identity.AdministratorBootstrapped";
pub const SESSION_STARTED: &str = "plinth.identity.SessionStarted";
pub const SESSION_REFRESHED: &str = "plinth.identity.SessionRefreshed";
pub const SESSION_REVOKED: &str = "plinth.identity.SessionRevoked";
pub const SIGNING_KEY_ROTATED: &str = "plinth.identity.SigningKeyRotated";

/// `plinth.identity.UserRegistered`, version 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRegisteredV1 {
    pub user_id: Uuid,
    pub tenant_id: String,
    pub email: String,
    pub display_name: String,
    pub registered_at: DateTime<Utc>,
}

/// `plinth.identity.PasswordChanged`, version 2: every session of the user started before `at`
/// ended, except `kept_session_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordChangedV2 {
    pub user_id: Uuid,
    pub tenant_id: String,
    pub at: DateTime<Utc>,
    pub kept_session_id: Option<Uuid>,
}

/// Every user record that says only who, in which tenant, when, version 1:
/// `LoginSucceeded`, `PasswordResetRequested`, `PasswordReset`,
/// `UserDisabled`, `UserEnabled`, `AdministratorBootstrapped`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFactV1 {
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

/// `plinth.identity.EmailVerificationIssued` and `PasswordResetIssued`, version 1: a single-use
/// token was mailed (the token itself is never published).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenIssuedV1 {
    pub user_id: Uuid,
    pub tenant_id: String,
    pub expires_at: DateTime<Utc>,
    pub at: DateTime<Utc>,
}

/// `plinth.identity.EmailVerified`, version 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailVerifiedV1 {
    pub user_id: Uuid,
    pub tenant_id: String,
    pub email: String,
    pub at: DateTime<Utc>,
}

/// `plinth.identity.SessionStarted`, version 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionStartedV1 {
    pub session_id: Uuid,
    pub user_id: Uuid,
    pub tenant_id: String,
    pub expires_at: DateTime<Utc>,
    pub at: DateTime<Utc>,
}

/// `plinth.identity.SessionRefreshed`, version 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRefreshedV1 {
    pub session_id: Uuid,
    pub user_id: Uuid,
    pub tenant_id: String,
    pub at: DateTime<Utc>,
}

/// `plinth.identity.SessionRevoked`, version 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRevokedV1 {
    pub session_id: Uuid,
    pub user_id: Uuid,
    pub tenant_id: String,
    /// `logout`, `revoked` or `refresh_token_reused`.
    pub reason: String,
    pub at: DateTime<Utc>,
}

/// `plinth.identity.SigningKeyRotated`, version 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKeyRotatedV1 {
    pub kid: String,
    pub previous_kid: Option<String>,
    pub tenant_id: String,
    pub at: DateTime<Utc>,
}

fn encode_signing_key_event(event_type: &str, payload: &serde_json::Value) -> Result<Value> {
    let plinth_domain_identity::SigningKeyEvent::SigningKeyRotated(e) =
        serde_json::from_value(payload.clone()).map_err(|source| crate::Error::Payload {
            event_type: event_type.to_owned(),
            source,
        })?;
    Ok(record(vec![
        ("kid", Value::String(e.kid)),
        (
            "previous_kid",
            match e.previous_kid {
                None => Value::Union(0, Box::new(Value::Null)),
                Some(kid) => Value::Union(1, Box::new(Value::String(kid))),
            },
        ),
        ("tenant_id", Value::String(e.tenant_id.to_string())),
        ("at", micros(e.at)),
    ]))
}

impl DecodeEvent for IdentityEvent {
    fn decode(record_name: &str, value: Value) -> Result<Self> {
        decode(record_name, value)
    }
}

fn decode(record_full_name: &str, value: Value) -> Result<IdentityEvent> {
    if record_full_name == SIGNING_KEY_ROTATED {
        let f = crate::fields::Fields::new(SIGNING_KEY_ROTATED, value)?;
        Ok(IdentityEvent::SigningKeyRotated(SigningKeyRotatedV1 {
            kid: f.string("kid")?,
            previous_kid: f.optional_string("previous_kid")?,
            tenant_id: f.string("tenant_id")?,
            at: f.time("at")?,
        }))
    } else if record_full_name.starts_with("plinth.identity.Session") {
        session::decode(record_full_name, value)
    } else {
        user::decode(record_full_name, value)
    }
}

#[cfg(test)]
mod tests;
