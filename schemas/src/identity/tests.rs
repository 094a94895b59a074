use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::writer::datum::GenericDatumWriter;
use chrono::TimeZone;
use plinth_domain_core::TenantId;
use plinth_domain_identity::{DisplayName, Email, PasswordHash, UserId, UserRegistered};

use super::*;
use crate::test_support::encode;
use chrono::Utc;
use plinth_domain_identity::UserEvent;
use uuid::Uuid;

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
    let IdentityEvent::UserRegistered(e) = IdentityEvent::decode(USER_REGISTERED, back).unwrap()
    else {
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

/// Encodes a stored event to Avro bytes and decodes it back, as a consumer would.
fn round_trip(
    aggregate_type: &str,
    event_type: &str,
    payload: &serde_json::Value,
) -> (Vec<u8>, IdentityEvent) {
    let avro = encode(aggregate_type, event_type, payload).unwrap();
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
    (
        bytes,
        IdentityEvent::decode(avro.schema.record_name, back).unwrap(),
    )
}

#[test]
fn token_hashes_are_never_published() {
    use plinth_domain_identity::session::{SessionEvent, SessionStarted};
    use plinth_domain_identity::{OneTimeToken, PasswordResetIssued, TokenHash};
    let at = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
    let started = SessionEvent::SessionStarted(SessionStarted {
        session_id: Uuid::from_u128(9),
        user_id: UserId(Uuid::from_u128(42)),
        tenant_id: TenantId::default(),
        refresh_token: TokenHash("refresh-token-hash".into()),
        expires_at: at,
        at,
    });
    let (bytes, event) = round_trip(
        "identity.session",
        "SessionStarted",
        &serde_json::to_value(started).unwrap(),
    );
    assert!(!String::from_utf8_lossy(&bytes).contains("refresh-token-hash"));
    let IdentityEvent::SessionStarted(e) = event else {
        panic!("not a session start: {event:?}");
    };
    assert_eq!(
        (e.session_id, e.user_id),
        (Uuid::from_u128(9), Uuid::from_u128(42))
    );
    let issued = UserEvent::PasswordResetIssued(PasswordResetIssued {
        user_id: UserId(Uuid::from_u128(42)),
        tenant_id: TenantId::default(),
        token: OneTimeToken {
            hash: TokenHash("reset-token-hash".into()),
            expires_at: at,
        },
        at,
    });
    let (bytes, event) = round_trip(
        "identity.user",
        "PasswordResetIssued",
        &serde_json::to_value(issued).unwrap(),
    );
    assert!(!String::from_utf8_lossy(&bytes).contains("reset-token-hash"));
    assert!(matches!(event, IdentityEvent::PasswordResetIssued(e) if e.expires_at == at));
}

#[test]
fn a_key_rotation_round_trips_through_avro_bytes_without_key_material() {
    let at = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
    let rotated = plinth_domain_identity::SigningKeyEvent::SigningKeyRotated(
        plinth_domain_identity::SigningKeyRotated {
            kid: "k2".into(),
            previous_kid: Some("k1".into()),
            tenant_id: TenantId::default(),
            at,
        },
    );
    let json = serde_json::to_value(rotated).unwrap();
    let IdentityEvent::SigningKeyRotated(back) =
        crate::authz::tests::round_trip("identity.signing_key", "SigningKeyRotated", &json)
    else {
        panic!("not a key rotation");
    };
    assert_eq!(
        back,
        SigningKeyRotatedV1 {
            kid: "k2".into(),
            previous_kid: Some("k1".into()),
            tenant_id: "default".into(),
            at,
        }
    );
}

#[test]
fn a_password_change_round_trips_with_the_session_it_kept_and_without_the_hash() {
    use plinth_domain_identity::PasswordChanged;
    let at = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
    for kept in [Some(Uuid::from_u128(9)), None] {
        let changed = UserEvent::PasswordChanged(PasswordChanged {
            user_id: UserId(Uuid::from_u128(42)),
            tenant_id: TenantId::default(),
            password_hash: PasswordHash("$argon2id$secret-hash".into()),
            at,
            kept_session: kept,
        });
        let (bytes, event) = round_trip(
            "identity.user",
            "PasswordChanged",
            &serde_json::to_value(changed).unwrap(),
        );
        assert!(!String::from_utf8_lossy(&bytes).contains("secret-hash"));
        assert_eq!(
            event,
            IdentityEvent::PasswordChanged(PasswordChangedV2 {
                user_id: Uuid::from_u128(42),
                tenant_id: "default".into(),
                at,
                kept_session_id: kept,
            })
        );
    }
    // A change stored before sessions were kept reads as "none kept".
    let stored = serde_json::json!({"PasswordChanged": {
        "user_id": Uuid::from_u128(42), "tenant_id": "default",
        "password_hash": "$argon2id$x", "at": "2026-11-24T12:00:00Z"}});
    let (_, event) = round_trip("identity.user", "PasswordChanged", &stored);
    assert!(matches!(event, IdentityEvent::PasswordChanged(e) if e.kept_session_id.is_none()));
}
