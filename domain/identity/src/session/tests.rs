use chrono::TimeZone;
use cqrs_es::test::TestFramework;

use super::*;

struct FixedClock(DateTime<Utc>);
impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

fn noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
}

fn at(now: DateTime<Utc>) -> TestFramework<Session> {
    TestFramework::with(SessionServices {
        clock: Arc::new(FixedClock(now)),
        idle_timeout: chrono::Duration::minutes(30),
    })
}

fn hash(s: &str) -> TokenHash {
    TokenHash(s.to_owned())
}

fn started() -> SessionEvent {
    SessionEvent::SessionStarted(SessionStarted {
        session_id: Uuid::from_u128(1),
        user_id: UserId(Uuid::from_u128(7)),
        tenant_id: TenantId::default(),
        refresh_token: hash("r1"),
        expires_at: noon() + chrono::Duration::days(30),
        at: noon(),
    })
}

fn refreshed(to: &str) -> SessionEvent {
    SessionEvent::SessionRefreshed(SessionRefreshed {
        session_id: Uuid::from_u128(1),
        user_id: UserId(Uuid::from_u128(7)),
        tenant_id: TenantId::default(),
        refresh_token: hash(to),
        at: noon(),
    })
}

fn refresh(presented: &str, next: &str) -> SessionCommand {
    SessionCommand::Refresh(RefreshSession {
        presented: hash(presented),
        next: hash(next),
    })
}

fn revoke(reason: RevocationReason) -> SessionCommand {
    SessionCommand::Revoke(RevokeSession { reason })
}

#[tokio::test]
async fn the_current_refresh_token_is_rotated() {
    at(noon())
        .given(vec![started()])
        .when_async(refresh("r1", "r2"))
        .await
        .then_expect_events(vec![refreshed("r2")]);
}

#[tokio::test]
async fn a_rotated_refresh_token_presented_again_is_reported_as_reuse() {
    at(noon())
        .given(vec![started(), refreshed("r2")])
        .when_async(refresh("r1", "r3"))
        .await
        .then_expect_error(SessionError::TokenReused);
}

#[tokio::test]
async fn an_unknown_refresh_token_is_invalid() {
    at(noon())
        .given(vec![started()])
        .when_async(refresh("forged", "r2"))
        .await
        .then_expect_error(SessionError::InvalidToken);
}

#[tokio::test]
async fn a_session_past_its_lifetime_cannot_be_refreshed() {
    at(noon() + chrono::Duration::days(30))
        .given(vec![started()])
        .when_async(refresh("r1", "r2"))
        .await
        .then_expect_error(SessionError::Expired);
}

#[tokio::test]
async fn a_revoked_session_cannot_be_refreshed_and_revoking_again_changes_nothing() {
    let revoked = SessionEvent::SessionRevoked(SessionRevoked {
        session_id: Uuid::from_u128(1),
        user_id: UserId(Uuid::from_u128(7)),
        tenant_id: TenantId::default(),
        reason: RevocationReason::Logout,
        at: noon(),
    });
    at(noon())
        .given(vec![started()])
        .when_async(revoke(RevocationReason::Logout))
        .await
        .then_expect_events(vec![revoked.clone()]);
    at(noon())
        .given(vec![started(), revoked.clone()])
        .when_async(refresh("r1", "r2"))
        .await
        .then_expect_error(SessionError::Revoked);
    at(noon())
        .given(vec![started(), revoked])
        .when_async(revoke(RevocationReason::RefreshTokenReused))
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn an_unstarted_session_cannot_be_refreshed() {
    at(noon())
        .given_no_previous_events()
        .when_async(refresh("r1", "r2"))
        .await
        .then_expect_error(SessionError::NotStarted);
}

#[tokio::test]
async fn a_session_idle_for_longer_than_the_timeout_cannot_be_refreshed() {
    at(noon() + chrono::Duration::minutes(30))
        .given(vec![started()])
        .when_async(refresh("r1", "r2"))
        .await
        .then_expect_error(SessionError::Expired);
    // Each refresh is activity: the timeout counts from the last one.
    let mut later = refreshed("r2");
    if let SessionEvent::SessionRefreshed(e) = &mut later {
        e.at = noon() + chrono::Duration::minutes(20);
    }
    at(noon() + chrono::Duration::minutes(40))
        .given(vec![started(), later])
        .when_async(refresh("r2", "r3"))
        .await
        .then_expect_events(vec![{
            let mut e = refreshed("r3");
            if let SessionEvent::SessionRefreshed(r) = &mut e {
                r.at = noon() + chrono::Duration::minutes(40);
            }
            e
        }]);
}
