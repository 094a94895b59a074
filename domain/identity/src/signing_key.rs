//! The `SigningKeys` aggregate: the history of the access-token signing keys (one aggregate,
//! id [`SIGNING_KEYS_ID`]). The key material stays in the keys table; the event only says that
//! a key became the signing key, so key rotations are in the audit trail.

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use plinth_domain_core::{TenantId, UniqueClaim, UniqueClaims};
use serde::{Deserialize, Serialize};

/// The aggregate id of the access-token keys.
pub const SIGNING_KEYS_ID: &str = "access-tokens";

/// Record that the key `kid` is about to become the signing key.
#[derive(Debug, Clone)]
pub struct RecordKeyRotation {
    pub kid: String,
    pub at: DateTime<Utc>,
}

/// A key became the signing key (the first one, or a rotation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningKeyRotated {
    pub kid: String,
    /// The key it replaced; `None` for the first key.
    pub previous_kid: Option<String>,
    /// Keys are the platform's: recorded in the default tenant.
    pub tenant_id: TenantId,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SigningKeyEvent {
    SigningKeyRotated(SigningKeyRotated),
}

impl DomainEvent for SigningKeyEvent {
    fn event_type(&self) -> String {
        "SigningKeyRotated".to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

impl UniqueClaims for SigningKeyEvent {
    fn unique_claims(&self) -> Vec<UniqueClaim> {
        Vec::new()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigningKeyError {
    #[error("key {0} is already the signing key")]
    AlreadyActive(String),
}

/// The current signing key's id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningKeys {
    active: Option<String>,
}

impl Aggregate for SigningKeys {
    const TYPE: &'static str = "identity.signing_key";
    type Command = RecordKeyRotation;
    type Event = SigningKeyEvent;
    type Error = SigningKeyError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        if self.active.as_deref() == Some(command.kid.as_str()) {
            return Err(SigningKeyError::AlreadyActive(command.kid));
        }
        let rotated = SigningKeyRotated {
            kid: command.kid,
            previous_kid: self.active.clone(),
            tenant_id: TenantId::default(),
            at: command.at,
        };
        sink.write(SigningKeyEvent::SigningKeyRotated(rotated), self)
            .await;
        Ok(())
    }

    fn apply(&mut self, SigningKeyEvent::SigningKeyRotated(e): Self::Event) {
        self.active = Some(e.kid);
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use cqrs_es::test::TestFramework;

    use super::*;

    fn rotated(kid: &str, previous: Option<&str>) -> SigningKeyEvent {
        SigningKeyEvent::SigningKeyRotated(SigningKeyRotated {
            kid: kid.into(),
            previous_kid: previous.map(Into::into),
            tenant_id: TenantId::default(),
            at: Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap(),
        })
    }

    fn rotate(kid: &str) -> RecordKeyRotation {
        RecordKeyRotation {
            kid: kid.into(),
            at: Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap(),
        }
    }

    #[tokio::test]
    async fn a_rotation_names_the_key_it_replaces() {
        TestFramework::<SigningKeys>::with(())
            .given_no_previous_events()
            .when_async(rotate("k1"))
            .await
            .then_expect_events(vec![rotated("k1", None)]);
        TestFramework::<SigningKeys>::with(())
            .given(vec![rotated("k1", None)])
            .when_async(rotate("k2"))
            .await
            .then_expect_events(vec![rotated("k2", Some("k1"))]);
        TestFramework::<SigningKeys>::with(())
            .given(vec![rotated("k1", None)])
            .when_async(rotate("k1"))
            .await
            .then_expect_error(SigningKeyError::AlreadyActive("k1".into()));
    }
}
