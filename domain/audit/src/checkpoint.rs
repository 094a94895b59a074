//! Signed checkpoints: "tenant T's trail had reached position P with head hash H at time A",
//! signed with the audit service's Ed25519 key. The `CheckpointLog` aggregate (one per tenant)
//! keeps them; its events go to their own topic.

use chrono::{DateTime, SubsecRound, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier as _, VerifyingKey};
use plinth_domain_core::{UniqueClaim, UniqueClaims};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::record::timestamp;

/// A signed statement of where a tenant's trail stood.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub tenant_id: String,
    pub position: i64,
    /// The hash of the record at `position`.
    pub head_hash: String,
    #[serde(with = "crate::record::canonical_time")]
    pub at: DateTime<Utc>,
    /// Which key signed ([`key_id`] of its public half).
    pub key_id: String,
    /// Ed25519 signature over the signed bytes, lowercase hex.
    pub signature: String,
}

/// The fields a signature covers, keys in alphabetical order (compact JSON, like records).
#[derive(Serialize)]
struct Signed<'a> {
    at: String,
    head_hash: &'a str,
    key_id: &'a str,
    position: i64,
    tenant_id: &'a str,
}

/// A public key's id: the first 16 hex digits of the SHA-256 of its 32 bytes.
pub fn key_id(key: &VerifyingKey) -> String {
    hex::encode(&Sha256::digest(key.as_bytes())[..8])
}

impl Checkpoint {
    /// Signs where `tenant_id`'s trail stands.
    pub fn sign(
        tenant_id: &str,
        position: i64,
        head_hash: &str,
        at: DateTime<Utc>,
        key: &SigningKey,
    ) -> Self {
        let mut checkpoint = Self {
            tenant_id: tenant_id.to_owned(),
            position,
            head_hash: head_hash.to_owned(),
            at: at.trunc_subsecs(6),
            key_id: key_id(&key.verifying_key()),
            signature: String::new(),
        };
        checkpoint.signature = hex::encode(key.sign(&checkpoint.signed_bytes()).to_bytes());
        checkpoint
    }

    /// The bytes the signature covers.
    pub fn signed_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&Signed {
            at: timestamp(&self.at),
            head_hash: &self.head_hash,
            key_id: &self.key_id,
            position: self.position,
            tenant_id: &self.tenant_id,
        })
        .expect("a struct of strings and integers serializes")
    }

    /// Whether `key` made this signature (over these exact fields).
    pub fn is_signed_by(&self, key: &VerifyingKey) -> bool {
        let Ok(bytes) = hex::decode(&self.signature) else {
            return false;
        };
        let Ok(signature) = Signature::from_slice(&bytes) else {
            return false;
        };
        key.verify(&self.signed_bytes(), &signature).is_ok()
    }
}

/// Keep a checkpoint in the tenant's log.
#[derive(Debug, Clone)]
pub struct RecordCheckpoint(pub Checkpoint);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CheckpointEvent {
    CheckpointSigned(Checkpoint),
}

impl DomainEvent for CheckpointEvent {
    fn event_type(&self) -> String {
        "CheckpointSigned".to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

impl UniqueClaims for CheckpointEvent {
    fn unique_claims(&self) -> Vec<UniqueClaim> {
        Vec::new()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error(
        "tenant {tenant}'s trail is already checkpointed at position {last}, not before {given}"
    )]
    NotAhead {
        tenant: String,
        last: i64,
        given: i64,
    },
}

/// A tenant's checkpoints: the position of the last one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointLog {
    position: i64,
}

impl CheckpointLog {
    /// The trail position the last checkpoint covers (0: none yet).
    pub fn position(&self) -> i64 {
        self.position
    }
}

impl Aggregate for CheckpointLog {
    const TYPE: &'static str = "audit.checkpoint";
    type Command = RecordCheckpoint;
    type Event = CheckpointEvent;
    type Error = CheckpointError;
    type Services = ();

    async fn handle(
        &mut self,
        RecordCheckpoint(checkpoint): Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        if checkpoint.position <= self.position {
            return Err(CheckpointError::NotAhead {
                tenant: checkpoint.tenant_id,
                last: self.position,
                given: checkpoint.position,
            });
        }
        sink.write(CheckpointEvent::CheckpointSigned(checkpoint), self)
            .await;
        Ok(())
    }

    fn apply(&mut self, CheckpointEvent::CheckpointSigned(checkpoint): Self::Event) {
        self.position = checkpoint.position;
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use cqrs_es::test::TestFramework;

    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn checkpoint(position: i64) -> Checkpoint {
        let at = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
        Checkpoint::sign("default", position, &"ab".repeat(32), at, &key(1))
    }

    #[test]
    fn a_checkpoint_verifies_with_its_key_only_and_only_as_signed() {
        let signed = checkpoint(10);
        assert!(signed.is_signed_by(&key(1).verifying_key()));
        assert!(!signed.is_signed_by(&key(2).verifying_key()));
        let mut moved = signed.clone();
        moved.position = 11;
        assert!(!moved.is_signed_by(&key(1).verifying_key()));
        let mut garbled = signed;
        garbled.signature = "zz".into();
        assert!(!garbled.is_signed_by(&key(1).verifying_key()));
    }

    #[test]
    fn key_ids_tell_keys_apart() {
        assert_eq!(key_id(&key(1).verifying_key()).len(), 16);
        assert_ne!(
            key_id(&key(1).verifying_key()),
            key_id(&key(2).verifying_key())
        );
    }

    #[tokio::test]
    async fn checkpoints_only_move_forward() {
        TestFramework::<CheckpointLog>::with(())
            .given(vec![CheckpointEvent::CheckpointSigned(checkpoint(10))])
            .when_async(RecordCheckpoint(checkpoint(12)))
            .await
            .then_expect_events(vec![CheckpointEvent::CheckpointSigned(checkpoint(12))]);
        TestFramework::<CheckpointLog>::with(())
            .given(vec![CheckpointEvent::CheckpointSigned(checkpoint(10))])
            .when_async(RecordCheckpoint(checkpoint(10)))
            .await
            .then_expect_error(CheckpointError::NotAhead {
                tenant: "default".into(),
                last: 10,
                given: 10,
            });
    }
}
