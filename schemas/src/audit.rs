//! `audit.trail` and `audit.checkpoint`: the records and checkpoints exactly as the audit
//! domain defines them (their hashes and signatures cover these very fields).

use apache_avro::types::Value;
use plinth_domain_audit::{AuditRecord, Checkpoint, CheckpointEvent, TrailEvent};

use crate::{
    DecodeEvent, Error, EventSchema, EventSet, Fields, Result, event_schema, micros, nullable,
    payload, record,
};

/// The audit module's published events: `audit.trail` and `audit.checkpoint`.
pub static EVENTS: EventSet = EventSet {
    module: "audit",
    schemas: &SCHEMAS,
    encode,
};

static SCHEMAS: [EventSchema; 2] = [
    event_schema!(
        "audit.trail",
        "RecordAppended",
        "plinth.audit.RecordAppended",
        "avro/audit/RecordAppended.avsc"
    ),
    event_schema!(
        "audit.checkpoint",
        "CheckpointSigned",
        "plinth.audit.CheckpointSigned",
        "avro/audit/CheckpointSigned.avsc"
    ),
];

fn encode(schema: &'static EventSchema, json: &serde_json::Value) -> Result<Value> {
    match schema.aggregate_type {
        "audit.trail" => encode_trail_event(schema.event_type, json),
        _ => encode_checkpoint_event(schema.event_type, json),
    }
}

/// Every audit event, as a downstream consumer (or a verifier) decodes it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::large_enum_variant,
    reason = "decoded one at a time and consumed at once; a box would only add an allocation"
)]
pub enum AuditEvent {
    RecordAppended(AuditRecord),
    CheckpointSigned(Checkpoint),
}

impl DecodeEvent for AuditEvent {
    fn decode(record_name: &str, value: Value) -> Result<Self> {
        decode(record_name, value)
    }
}

fn optional(value: Option<&String>) -> Value {
    nullable(value.map(|v| Value::String(v.clone())))
}

fn encode_trail_event(event_type: &str, json: &serde_json::Value) -> Result<Value> {
    let TrailEvent::RecordAppended(r) = payload::<TrailEvent>(event_type, json)?;
    Ok(record(vec![
        ("tenant_id", Value::String(r.tenant_id)),
        ("position", Value::Long(r.position)),
        ("at", micros(r.at)),
        ("actor", Value::String(r.actor)),
        ("action", Value::String(r.action)),
        ("target_type", Value::String(r.target_type)),
        ("target_id", Value::String(r.target_id)),
        ("outcome", Value::String(r.outcome.as_str().to_owned())),
        ("source_ip", optional(r.source_ip.as_ref())),
        ("user_agent", optional(r.user_agent.as_ref())),
        ("correlation_id", optional(r.correlation_id.as_ref())),
        ("causation_id", optional(r.causation_id.as_ref())),
        ("source_event_id", Value::Uuid(r.source_event_id)),
        ("source_position", Value::Long(r.source_position)),
        ("details", Value::String(r.details)),
        ("prev_hash", Value::String(r.prev_hash)),
        ("hash", Value::String(r.hash)),
    ]))
}

fn encode_checkpoint_event(event_type: &str, json: &serde_json::Value) -> Result<Value> {
    let CheckpointEvent::CheckpointSigned(c) = payload::<CheckpointEvent>(event_type, json)?;
    Ok(record(vec![
        ("tenant_id", Value::String(c.tenant_id)),
        ("position", Value::Long(c.position)),
        ("head_hash", Value::String(c.head_hash)),
        ("at", micros(c.at)),
        ("key_id", Value::String(c.key_id)),
        ("signature", Value::String(c.signature)),
    ]))
}

fn decode(record_full_name: &str, value: Value) -> Result<AuditEvent> {
    let schema = EVENTS
        .schema_for_record(record_full_name)
        .ok_or_else(|| Error::UnknownRecord(record_full_name.to_owned()))?;
    let f = Fields::new(schema.record_name, value)?;
    Ok(match schema.event_type {
        "RecordAppended" => AuditEvent::RecordAppended(AuditRecord {
            tenant_id: f.string("tenant_id")?,
            position: f.long("position")?,
            at: f.time("at")?,
            actor: f.string("actor")?,
            action: f.string("action")?,
            target_type: f.string("target_type")?,
            target_id: f.string("target_id")?,
            outcome: f
                .string("outcome")?
                .parse()
                .map_err(|_| Fields::bad(schema.record_name, "outcome"))?,
            source_ip: f.optional_string("source_ip")?,
            user_agent: f.optional_string("user_agent")?,
            correlation_id: f.optional_string("correlation_id")?,
            causation_id: f.optional_string("causation_id")?,
            source_event_id: f.uuid("source_event_id")?,
            source_position: f.long("source_position")?,
            details: f.string("details")?,
            prev_hash: f.string("prev_hash")?,
            hash: f.string("hash")?,
        }),
        "CheckpointSigned" => AuditEvent::CheckpointSigned(Checkpoint {
            tenant_id: f.string("tenant_id")?,
            position: f.long("position")?,
            head_hash: f.string("head_hash")?,
            at: f.time("at")?,
            key_id: f.string("key_id")?,
            signature: f.string("signature")?,
        }),
        other => return Err(Error::UnknownRecord(other.to_owned())),
    })
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use plinth_domain_audit::{GENESIS_HASH, Outcome, RecordDraft};
    use uuid::Uuid;

    use super::*;
    use crate::authz::tests::round_trip;

    #[test]
    fn a_record_round_trips_through_avro_bytes_and_still_verifies() {
        let at = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
            + chrono::Duration::microseconds(123_456);
        let appended = TrailEvent::RecordAppended(
            RecordDraft {
                at,
                actor: "user:7".into(),
                action: "AccessDecided".into(),
                target_type: "route".into(),
                target_id: "POST /v1/authz/roles".into(),
                outcome: Outcome::Denied,
                source_ip: Some("127.0.0.1".into()),
                user_agent: None,
                correlation_id: Some("c".into()),
                causation_id: None,
                source_event_id: Uuid::from_u128(3),
                source_position: 42,
                details: "{}".into(),
            }
            .chain("default", 1, GENESIS_HASH),
        );
        let json = serde_json::to_value(&appended).unwrap();
        let AuditEvent::RecordAppended(back) = round_trip("audit.trail", "RecordAppended", &json)
        else {
            panic!("not a record");
        };
        let TrailEvent::RecordAppended(sent) = appended;
        assert_eq!(back, sent);
        assert_eq!(back.computed_hash(), back.hash);
    }

    #[test]
    fn a_checkpoint_round_trips_through_avro_bytes_and_still_verifies() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
        let signed = Checkpoint::sign("acme", 9, &"cd".repeat(32), Utc::now(), &key);
        let json = serde_json::to_value(CheckpointEvent::CheckpointSigned(signed.clone())).unwrap();
        let AuditEvent::CheckpointSigned(back) =
            round_trip("audit.checkpoint", "CheckpointSigned", &json)
        else {
            panic!("not a checkpoint");
        };
        assert_eq!(back, signed);
        assert!(back.is_signed_by(&key.verifying_key()));
    }
}
