//! `identity.user`: the `User` aggregate's events ⇄ Avro. Password hashes and token hashes are
//! dropped here and never published.

use apache_avro::types::Value;
use plinth_domain_identity::UserEvent;

use super::IdentityEvent;
use super::{
    ACCOUNT_LOCKED, ADMINISTRATOR_BOOTSTRAPPED, AccountLockedV1, DISPLAY_NAME_CHANGED,
    DisplayNameChangedV1, EMAIL_VERIFICATION_ISSUED, EMAIL_VERIFIED, EmailVerifiedV1, LOGIN_FAILED,
    LOGIN_SUCCEEDED, LoginFailedV1, PASSWORD_CHANGED, PASSWORD_RESET, PASSWORD_RESET_ISSUED,
    PASSWORD_RESET_REQUESTED, PasswordChangedV2, TokenIssuedV1, USER_DISABLED, USER_ENABLED,
    USER_REGISTERED, UserFactV1, UserRegisteredV1,
};
use crate::Fields;
use crate::{Error, Result};
use crate::{micros, record};

pub(crate) fn encode_user_event(event_type: &str, payload: &serde_json::Value) -> Result<Value> {
    let event: UserEvent =
        serde_json::from_value(payload.clone()).map_err(|source| Error::Payload {
            event_type: event_type.to_owned(),
            source,
        })?;
    let who = |user_id: plinth_domain_identity::UserId, tenant: &plinth_domain_core::TenantId| {
        vec![
            ("user_id", Value::Uuid(user_id.0)),
            ("tenant_id", Value::String(tenant.to_string())),
        ]
    };
    let fact = |user_id, tenant, at| {
        let mut fields = who(user_id, tenant);
        fields.push(("at", micros(at)));
        record(fields)
    };
    Ok(match event {
        UserEvent::UserRegistered(e) => {
            let mut fields = who(e.user_id, &e.tenant_id);
            fields.extend([
                ("email", Value::String(e.email.as_str().to_owned())),
                (
                    "display_name",
                    Value::String(e.display_name.as_str().to_owned()),
                ),
                ("registered_at", micros(e.registered_at)),
            ]);
            record(fields)
        }
        UserEvent::LoginFailed(e) => {
            let mut fields = who(e.user_id, &e.tenant_id);
            fields.extend([
                ("at", micros(e.at)),
                (
                    "consecutive_failures",
                    Value::Int(e.consecutive_failures.try_into().unwrap_or(i32::MAX)),
                ),
            ]);
            record(fields)
        }
        UserEvent::AccountLocked(e) => {
            let mut fields = who(e.user_id, &e.tenant_id);
            fields.extend([("at", micros(e.at)), ("until", micros(e.until))]);
            record(fields)
        }
        UserEvent::DisplayNameChanged(e) => {
            let mut fields = who(e.user_id, &e.tenant_id);
            fields.extend([
                (
                    "display_name",
                    Value::String(e.display_name.as_str().to_owned()),
                ),
                ("at", micros(e.at)),
            ]);
            record(fields)
        }
        UserEvent::EmailVerified(e) => {
            let mut fields = who(e.user_id, &e.tenant_id);
            fields.extend([
                ("email", Value::String(e.email.as_str().to_owned())),
                ("at", micros(e.at)),
            ]);
            record(fields)
        }
        UserEvent::EmailVerificationIssued(e) => {
            token_issued(who(e.user_id, &e.tenant_id), e.token.expires_at, e.at)
        }
        UserEvent::PasswordResetIssued(e) => {
            token_issued(who(e.user_id, &e.tenant_id), e.token.expires_at, e.at)
        }
        UserEvent::LoginSucceeded(e) => fact(e.user_id, &e.tenant_id, e.at),
        UserEvent::PasswordChanged(e) => {
            let mut fields = who(e.user_id, &e.tenant_id);
            fields.extend([
                ("at", micros(e.at)),
                (
                    "kept_session_id",
                    match e.kept_session {
                        Some(id) => Value::Union(1, Box::new(Value::String(id.to_string()))),
                        None => Value::Union(0, Box::new(Value::Null)),
                    },
                ),
            ]);
            record(fields)
        }
        UserEvent::PasswordResetRequested(e) => fact(e.user_id, &e.tenant_id, e.at),
        UserEvent::PasswordReset(e) => fact(e.user_id, &e.tenant_id, e.at),
        UserEvent::UserDisabled(e) => fact(e.user_id, &e.tenant_id, e.at),
        UserEvent::UserEnabled(e) => fact(e.user_id, &e.tenant_id, e.at),
        UserEvent::AdministratorBootstrapped(e) => fact(e.user_id, &e.tenant_id, e.at),
    })
}

fn token_issued(
    mut fields: Vec<(&'static str, Value)>,
    expires_at: chrono::DateTime<chrono::Utc>,
    at: chrono::DateTime<chrono::Utc>,
) -> Value {
    fields.extend([("expires_at", micros(expires_at)), ("at", micros(at))]);
    record(fields)
}

pub(super) fn decode(record_full_name: &str, value: Value) -> Result<IdentityEvent> {
    let Some(schema) = super::EVENTS.schema_for_record(record_full_name) else {
        return Err(Error::UnknownRecord(record_full_name.to_owned()));
    };
    let f = Fields::new(schema.record_name, value)?;
    let fact = |f: &Fields| -> Result<UserFactV1> {
        Ok(UserFactV1 {
            user_id: f.uuid("user_id")?,
            tenant_id: f.string("tenant_id")?,
            at: f.time("at")?,
        })
    };
    let token = |f: &Fields| -> Result<TokenIssuedV1> {
        Ok(TokenIssuedV1 {
            user_id: f.uuid("user_id")?,
            tenant_id: f.string("tenant_id")?,
            expires_at: f.time("expires_at")?,
            at: f.time("at")?,
        })
    };
    Ok(match schema.record_name {
        USER_REGISTERED => IdentityEvent::UserRegistered(UserRegisteredV1 {
            user_id: f.uuid("user_id")?,
            tenant_id: f.string("tenant_id")?,
            email: f.string("email")?,
            display_name: f.string("display_name")?,
            registered_at: f.time("registered_at")?,
        }),
        LOGIN_FAILED => IdentityEvent::LoginFailed(LoginFailedV1 {
            user_id: f.uuid("user_id")?,
            tenant_id: f.string("tenant_id")?,
            at: f.time("at")?,
            consecutive_failures: f.int("consecutive_failures")?,
        }),
        ACCOUNT_LOCKED => IdentityEvent::AccountLocked(AccountLockedV1 {
            user_id: f.uuid("user_id")?,
            tenant_id: f.string("tenant_id")?,
            at: f.time("at")?,
            until: f.time("until")?,
        }),
        DISPLAY_NAME_CHANGED => IdentityEvent::DisplayNameChanged(DisplayNameChangedV1 {
            user_id: f.uuid("user_id")?,
            tenant_id: f.string("tenant_id")?,
            display_name: f.string("display_name")?,
            at: f.time("at")?,
        }),
        EMAIL_VERIFIED => IdentityEvent::EmailVerified(EmailVerifiedV1 {
            user_id: f.uuid("user_id")?,
            tenant_id: f.string("tenant_id")?,
            email: f.string("email")?,
            at: f.time("at")?,
        }),
        EMAIL_VERIFICATION_ISSUED => IdentityEvent::EmailVerificationIssued(token(&f)?),
        PASSWORD_RESET_ISSUED => IdentityEvent::PasswordResetIssued(token(&f)?),
        LOGIN_SUCCEEDED => IdentityEvent::LoginSucceeded(fact(&f)?),
        PASSWORD_CHANGED => IdentityEvent::PasswordChanged(PasswordChangedV2 {
            user_id: f.uuid("user_id")?,
            tenant_id: f.string("tenant_id")?,
            at: f.time("at")?,
            kept_session_id: f
                .optional_string("kept_session_id")?
                .map(|id| {
                    uuid::Uuid::parse_str(&id)
                        .map_err(|_| Fields::bad(PASSWORD_CHANGED, "kept_session_id is not a UUID"))
                })
                .transpose()?,
        }),
        PASSWORD_RESET_REQUESTED => IdentityEvent::PasswordResetRequested(fact(&f)?),
        PASSWORD_RESET => IdentityEvent::PasswordReset(fact(&f)?),
        USER_DISABLED => IdentityEvent::UserDisabled(fact(&f)?),
        USER_ENABLED => IdentityEvent::UserEnabled(fact(&f)?),
        ADMINISTRATOR_BOOTSTRAPPED => IdentityEvent::AdministratorBootstrapped(fact(&f)?),
        other => return Err(Error::UnknownRecord(other.to_owned())),
    })
}
