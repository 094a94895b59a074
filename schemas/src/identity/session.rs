//! `identity.session`: the `Session` aggregate's events ⇄ Avro. Refresh-token hashes are
//! dropped here and never published.

use apache_avro::types::Value;
use plinth_domain_identity::session::SessionEvent;

use super::IdentityEvent;
use super::{
    SESSION_REFRESHED, SESSION_REVOKED, SESSION_STARTED, SessionRefreshedV1, SessionRevokedV1,
    SessionStartedV1,
};
use crate::Fields;
use crate::{Error, Result};
use crate::{micros, record};

pub(crate) fn encode_session_event(event_type: &str, payload: &serde_json::Value) -> Result<Value> {
    let event: SessionEvent =
        serde_json::from_value(payload.clone()).map_err(|source| Error::Payload {
            event_type: event_type.to_owned(),
            source,
        })?;
    let who = |session_id: uuid::Uuid,
               user_id: plinth_domain_identity::UserId,
               tenant: &plinth_domain_core::TenantId| {
        vec![
            ("session_id", Value::Uuid(session_id)),
            ("user_id", Value::Uuid(user_id.0)),
            ("tenant_id", Value::String(tenant.to_string())),
        ]
    };
    let mut fields;
    match event {
        SessionEvent::SessionStarted(e) => {
            fields = who(e.session_id, e.user_id, &e.tenant_id);
            fields.extend([("expires_at", micros(e.expires_at)), ("at", micros(e.at))]);
        }
        SessionEvent::SessionRefreshed(e) => {
            fields = who(e.session_id, e.user_id, &e.tenant_id);
            fields.push(("at", micros(e.at)));
        }
        SessionEvent::SessionRevoked(e) => {
            fields = who(e.session_id, e.user_id, &e.tenant_id);
            fields.extend([
                ("reason", Value::String(e.reason.as_str().to_owned())),
                ("at", micros(e.at)),
            ]);
        }
    }
    Ok(record(fields))
}

pub(super) fn decode(record_full_name: &str, value: Value) -> Result<IdentityEvent> {
    let Some(schema) = super::EVENTS.schema_for_record(record_full_name) else {
        return Err(Error::UnknownRecord(record_full_name.to_owned()));
    };
    let f = Fields::new(schema.record_name, value)?;
    let (session_id, user_id, tenant_id, at) = (
        f.uuid("session_id")?,
        f.uuid("user_id")?,
        f.string("tenant_id")?,
        f.time("at")?,
    );
    Ok(match schema.record_name {
        SESSION_STARTED => IdentityEvent::SessionStarted(SessionStartedV1 {
            session_id,
            user_id,
            tenant_id,
            expires_at: f.time("expires_at")?,
            at,
        }),
        SESSION_REFRESHED => IdentityEvent::SessionRefreshed(SessionRefreshedV1 {
            session_id,
            user_id,
            tenant_id,
            at,
        }),
        SESSION_REVOKED => IdentityEvent::SessionRevoked(SessionRevokedV1 {
            session_id,
            user_id,
            tenant_id,
            reason: f.string("reason")?,
            at,
        }),
        other => return Err(Error::UnknownRecord(other.to_owned())),
    })
}
