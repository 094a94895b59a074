//! What an audit record holds, and exactly which bytes its hash covers.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The `prev_hash` of a trail's first record: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How the recorded action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The event happened (a role was created, a password reset).
    Success,
    /// The event records a failure (a wrong password).
    Failure,
    /// An access decision that allowed.
    Allowed,
    /// An access decision that denied.
    Denied,
}

impl Outcome {
    pub const ALL: [Self; 4] = [Self::Success, Self::Failure, Self::Allowed, Self::Denied];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Allowed => "allowed",
            Self::Denied => "denied",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Not one of `success`, `failure`, `allowed`, `denied`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("outcome must be one of success, failure, allowed, denied; not {0:?}")]
pub struct OutcomeError(pub String);

impl FromStr for Outcome {
    type Err = OutcomeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or_else(|| OutcomeError(s.to_owned()))
    }
}

/// A record before it has a place in the trail: what the recorder derives from one source event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordDraft {
    /// When the source event happened (microsecond precision).
    pub at: DateTime<Utc>,
    /// `user:<id>`, `service:<name>` or `anonymous`.
    pub actor: String,
    /// The source event's type (`LoginFailed`, `AccessDecided`).
    pub action: String,
    /// The aggregate type (`identity.user`), or for a decision the resource type or `route`.
    pub target_type: String,
    pub target_id: String,
    pub outcome: Outcome,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub correlation_id: Option<String>,
    pub causation_id: Option<String>,
    /// The source event's id: a source event is recorded at most once, in any trail.
    pub source_event_id: Uuid,
    /// The source event's position in the event store.
    pub source_position: i64,
    /// The published event as canonical JSON (the public contract carries no secrets).
    pub details: String,
}

/// One record of a tenant's trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub tenant_id: String,
    /// 1, 2, … within the tenant's trail.
    pub position: i64,
    #[serde(with = "canonical_time")]
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub outcome: Outcome,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub correlation_id: Option<String>,
    pub causation_id: Option<String>,
    pub source_event_id: Uuid,
    pub source_position: i64,
    pub details: String,
    /// The hash of the record before this one ([`GENESIS_HASH`] for the first).
    pub prev_hash: String,
    /// SHA-256 of [`AuditRecord::canonical_bytes`], lowercase hex.
    pub hash: String,
}

/// Every field but `hash`, keys in alphabetical order: serialized without whitespace, these are
/// the canonical bytes (`json.dumps(record, sort_keys=True, separators=(",", ":"),
/// ensure_ascii=False)` in Python gives the same).
#[derive(Serialize)]
struct Canonical<'a> {
    action: &'a str,
    actor: &'a str,
    at: String,
    causation_id: Option<&'a str>,
    correlation_id: Option<&'a str>,
    details: &'a str,
    outcome: &'a str,
    position: i64,
    prev_hash: &'a str,
    source_event_id: String,
    source_ip: Option<&'a str>,
    source_position: i64,
    target_id: &'a str,
    target_type: &'a str,
    tenant_id: &'a str,
    user_agent: Option<&'a str>,
}

/// A time as records write it: RFC 3339, UTC, exactly six fractional digits.
pub fn timestamp(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Serializes times in the canonical [`timestamp`] form, so a JSON record (a JSONL export line)
/// shows `at` exactly as its hash covers it.
pub(crate) mod canonical_time {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::timestamp(at))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        DateTime::<Utc>::deserialize(d)
    }
}

impl RecordDraft {
    /// Places the draft at `position` after a record hashed `prev_hash`.
    pub fn chain(self, tenant_id: &str, position: i64, prev_hash: &str) -> AuditRecord {
        let mut record = AuditRecord {
            tenant_id: tenant_id.to_owned(),
            position,
            at: self.at.trunc_subsecs(6),
            actor: self.actor,
            action: self.action,
            target_type: self.target_type,
            target_id: self.target_id,
            outcome: self.outcome,
            source_ip: self.source_ip,
            user_agent: self.user_agent,
            correlation_id: self.correlation_id,
            causation_id: self.causation_id,
            source_event_id: self.source_event_id,
            source_position: self.source_position,
            details: self.details,
            prev_hash: prev_hash.to_owned(),
            hash: String::new(),
        };
        record.hash = record.computed_hash();
        record
    }
}

impl AuditRecord {
    /// The bytes the hash covers: every field but `hash` (so `prev_hash` too), as sorted-key
    /// compact JSON.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let canonical = Canonical {
            action: &self.action,
            actor: &self.actor,
            at: timestamp(&self.at),
            causation_id: self.causation_id.as_deref(),
            correlation_id: self.correlation_id.as_deref(),
            details: &self.details,
            outcome: self.outcome.as_str(),
            position: self.position,
            prev_hash: &self.prev_hash,
            source_event_id: self.source_event_id.to_string(),
            source_ip: self.source_ip.as_deref(),
            source_position: self.source_position,
            target_id: &self.target_id,
            target_type: &self.target_type,
            tenant_id: &self.tenant_id,
            user_agent: self.user_agent.as_deref(),
        };
        serde_json::to_vec(&canonical).expect("a struct of strings and integers serializes")
    }

    /// SHA-256 of the canonical bytes, lowercase hex: what `hash` must be.
    pub fn computed_hash(&self) -> String {
        hex::encode(Sha256::digest(self.canonical_bytes()))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::TimeZone;

    use super::*;

    pub(crate) fn draft(n: u128) -> RecordDraft {
        RecordDraft {
            at: Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
                + chrono::Duration::nanoseconds(1_234_567),
            actor: "user:7".into(),
            action: "LoginFailed".into(),
            target_type: "identity.user".into(),
            target_id: "7".into(),
            outcome: Outcome::Failure,
            source_ip: None,
            user_agent: Some("curl/8 \"quoted\"".into()),
            correlation_id: Some("c-1".into()),
            causation_id: None,
            source_event_id: Uuid::from_u128(n),
            source_position: n as i64,
            details: r#"{"consecutive_failures":1}"#.into(),
        }
    }

    #[test]
    fn canonical_bytes_are_sorted_compact_json_of_every_field_but_the_hash() {
        let record = draft(1).chain("default", 1, GENESIS_HASH);
        let text = String::from_utf8(record.canonical_bytes()).unwrap();
        assert_eq!(
            text,
            concat!(
                r#"{"action":"LoginFailed","actor":"user:7","at":"2026-11-24T12:00:00.001234Z","#,
                r#""causation_id":null,"correlation_id":"c-1","details":"{\"consecutive_failures\":1}","#,
                r#""outcome":"failure","position":1,"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000","#,
                r#""source_event_id":"00000000-0000-0000-0000-000000000001","source_ip":null,"source_position":1,"#,
                r#""target_id":"7","target_type":"identity.user","tenant_id":"default","user_agent":"curl/8 \"quoted\""}"#
            )
        );
        assert_eq!(record.hash, hex::encode(Sha256::digest(text.as_bytes())));
    }

    #[test]
    fn the_hash_changes_with_any_field_and_with_the_previous_hash() {
        let record = draft(1).chain("default", 1, GENESIS_HASH);
        let mut altered = record.clone();
        altered.outcome = Outcome::Success;
        assert_ne!(altered.computed_hash(), record.hash);
        let relinked = draft(1).chain("default", 1, &record.hash);
        assert_ne!(relinked.hash, record.hash);
        let mut moved = record.clone();
        moved.position = 2;
        assert_ne!(moved.computed_hash(), record.hash);
    }

    #[test]
    fn times_are_kept_to_the_microsecond_so_they_survive_avro() {
        let record = draft(1).chain("default", 1, GENESIS_HASH);
        assert_eq!(record.at.timestamp_subsec_nanos(), 1_234_000);
        assert_eq!(timestamp(&record.at), "2026-11-24T12:00:00.001234Z");
    }

    #[test]
    fn outcomes_parse_from_their_names_only() {
        for outcome in Outcome::ALL {
            assert_eq!(outcome.as_str().parse::<Outcome>(), Ok(outcome));
        }
        assert_eq!("ok".parse::<Outcome>(), Err(OutcomeError("ok".to_owned())));
    }
}
