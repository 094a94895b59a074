use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use cqrs_es::test::TestFramework;

use super::*;
use crate::services::{BoxFuture, Clock, PasswordHasher};
use crate::{Password, PasswordHash, PasswordPolicy};

/// Hashes by prefixing, so tests can see which password went in.
struct PrefixHasher;
impl PasswordHasher for PrefixHasher {
    fn hash<'a>(
        &'a self,
        password: &'a Password,
    ) -> BoxFuture<'a, Result<PasswordHash, HashingError>> {
        Box::pin(async move { Ok(PasswordHash(format!("$fake${}", password.expose().len()))) })
    }
}

struct FailingHasher;
impl PasswordHasher for FailingHasher {
    fn hash<'a>(&'a self, _: &'a Password) -> BoxFuture<'a, Result<PasswordHash, HashingError>> {
        Box::pin(async { Err(HashingError::Failed("out of memory".into())) })
    }
}

struct FixedClock(DateTime<Utc>);
impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

fn noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
}

fn services(hasher: Arc<dyn PasswordHasher>) -> UserServices {
    UserServices {
        hasher,
        clock: Arc::new(FixedClock(noon())),
        lockout: crate::LockoutPolicy::default(),
    }
}

fn register_ada() -> RegisterUser {
    RegisterUser {
        user_id: UserId(uuid::Uuid::from_u128(7)),
        tenant_id: TenantId::default(),
        email: Email::parse("Ada@Example.org").unwrap(),
        display_name: DisplayName::parse("Ada").unwrap(),
        password: PasswordPolicy::default()
            .parse("correct horse battery", None)
            .unwrap(),
        administrator: false,
    }
}

fn ada_hash() -> PasswordHash {
    PasswordHash("$fake$21".into())
}

fn ada_registered() -> UserEvent {
    UserEvent::UserRegistered(UserRegistered {
        user_id: UserId(uuid::Uuid::from_u128(7)),
        tenant_id: TenantId::default(),
        email: Email::parse("ada@example.org").unwrap(),
        display_name: DisplayName::parse("Ada").unwrap(),
        password_hash: ada_hash(),
        registered_at: noon(),
    })
}

#[tokio::test]
async fn registering_a_new_user_records_the_hash_never_the_password() {
    let result = TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given_no_previous_events()
        .when_async(UserCommand::Register(register_ada()))
        .await;
    result.then_expect_events(vec![ada_registered()]);
}

#[tokio::test]
async fn registering_the_same_user_twice_is_rejected() {
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given(vec![ada_registered()])
        .when_async(UserCommand::Register(register_ada()))
        .await
        .then_expect_error(UserError::AlreadyRegistered);
}

#[tokio::test]
async fn a_hashing_failure_records_nothing() {
    TestFramework::<User>::with(services(Arc::new(FailingHasher)))
        .given_no_previous_events()
        .when_async(UserCommand::Register(register_ada()))
        .await
        .then_expect_error_message("password hashing failed: out of memory");
}

fn failed(n: u32) -> UserEvent {
    UserEvent::LoginFailed(crate::LoginFailed {
        user_id: UserId(uuid::Uuid::from_u128(7)),
        tenant_id: TenantId::default(),
        at: noon(),
        consecutive_failures: n,
    })
}

fn locked(until: DateTime<Utc>) -> UserEvent {
    UserEvent::AccountLocked(crate::AccountLocked {
        user_id: UserId(uuid::Uuid::from_u128(7)),
        tenant_id: TenantId::default(),
        at: noon(),
        until,
    })
}

fn login(succeeded: bool) -> UserCommand {
    UserCommand::RecordLogin(crate::RecordLogin {
        succeeded,
        checked_against: PasswordHash("$fake$21".into()),
    })
}

#[tokio::test]
async fn a_wrong_password_counts_one_more_failure() {
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given(vec![ada_registered(), failed(1)])
        .when_async(login(false))
        .await
        .then_expect_events(vec![failed(2)]);
}

#[tokio::test]
async fn the_fifth_failure_in_a_row_locks_the_account_for_fifteen_minutes() {
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given(vec![
            ada_registered(),
            failed(1),
            failed(2),
            failed(3),
            failed(4),
        ])
        .when_async(login(false))
        .await
        .then_expect_events(vec![
            failed(5),
            locked(noon() + chrono::Duration::minutes(15)),
        ]);
}

#[tokio::test]
async fn a_locked_account_refuses_even_the_right_password_and_records_nothing() {
    let until = noon() + chrono::Duration::minutes(10);
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given(vec![ada_registered(), locked(until)])
        .when_async(login(true))
        .await
        .then_expect_error(UserError::Locked { until });
}

#[tokio::test]
async fn after_the_lock_expires_counting_starts_again() {
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given(vec![
            ada_registered(),
            failed(4),
            locked(noon() - chrono::Duration::seconds(1)),
        ])
        .when_async(login(false))
        .await
        .then_expect_events(vec![failed(1)]);
}

#[tokio::test]
async fn a_success_clears_the_failures() {
    let success = UserEvent::LoginSucceeded(crate::LoginSucceeded {
        user_id: UserId(uuid::Uuid::from_u128(7)),
        tenant_id: TenantId::default(),
        at: noon(),
    });
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given(vec![ada_registered(), failed(4), success.clone()])
        .when_async(login(false))
        .await
        .then_expect_events(vec![failed(1)]);
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given(vec![ada_registered(), failed(3)])
        .when_async(login(true))
        .await
        .then_expect_events(vec![success]);
}

#[tokio::test]
async fn a_new_display_name_is_recorded_and_the_same_one_changes_nothing() {
    let rename = |name: &str| {
        UserCommand::ChangeDisplayName(crate::ChangeDisplayName {
            display_name: DisplayName::parse(name).unwrap(),
        })
    };
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given(vec![ada_registered()])
        .when_async(rename("Countess of Lovelace"))
        .await
        .then_expect_events(vec![UserEvent::DisplayNameChanged(DisplayNameChanged {
            user_id: UserId(uuid::Uuid::from_u128(7)),
            tenant_id: TenantId::default(),
            display_name: DisplayName::parse("Countess of Lovelace").unwrap(),
            at: noon(),
        })]);
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given(vec![ada_registered()])
        .when_async(rename("Ada"))
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn a_new_password_is_stored_only_as_its_hash_and_ends_every_other_session() {
    let kept = uuid::Uuid::now_v7();
    let change = UserCommand::ChangePassword(crate::ChangePassword {
        new_password: PasswordPolicy::default()
            .parse("a brand new passphrase", None)
            .unwrap(),
        checked_against: ada_hash(),
        keep_session: Some(kept),
    });
    let changed = UserEvent::PasswordChanged(PasswordChanged {
        user_id: UserId(uuid::Uuid::from_u128(7)),
        tenant_id: TenantId::default(),
        password_hash: PasswordHash("$fake$22".into()),
        at: noon(),
        kept_session: Some(kept),
    });
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given(vec![ada_registered()])
        .when_async(change)
        .await
        .then_expect_events(vec![changed.clone()]);
    let mut user = User::default();
    user.apply(ada_registered());
    user.apply(changed);
    let earlier = noon() - chrono::Duration::minutes(5);
    assert!(
        user.accepts_session(kept, earlier),
        "the session that changed it"
    );
    assert!(
        !user.accepts_session(uuid::Uuid::now_v7(), earlier),
        "a thief's older session ends"
    );
    assert!(user.accepts_session(uuid::Uuid::now_v7(), noon()));
}

#[tokio::test]
async fn an_unknown_user_cannot_log_in() {
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given_no_previous_events()
        .when_async(login(true))
        .await
        .then_expect_error(UserError::NotRegistered);
}

#[test]
fn a_registration_claims_its_email_within_its_tenant() {
    use plinth_domain_core::UniqueClaims;
    let claims = ada_registered().unique_claims();
    assert_eq!(claims.len(), 1);
    assert_eq!(claims[0].scope, crate::EMAIL_CLAIM_SCOPE);
    assert_eq!(claims[0].key, "default/ada@example.org");
}

mod accounts;

#[tokio::test]
async fn a_password_change_is_refused_while_locked_or_once_the_password_was_replaced() {
    let change = |checked_against: PasswordHash| {
        UserCommand::ChangePassword(crate::ChangePassword {
            new_password: PasswordPolicy::default()
                .parse("a brand new passphrase", None)
                .unwrap(),
            checked_against,
            keep_session: None,
        })
    };
    let locked = UserEvent::AccountLocked(crate::AccountLocked {
        user_id: UserId(uuid::Uuid::from_u128(7)),
        tenant_id: TenantId::default(),
        at: noon(),
        until: noon() + chrono::Duration::minutes(15),
    });
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given(vec![ada_registered(), locked])
        .when_async(change(ada_hash()))
        .await
        .then_expect_error(UserError::Locked {
            until: noon() + chrono::Duration::minutes(15),
        });
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given(vec![ada_registered()])
        .when_async(change(PasswordHash("$fake$older".into())))
        .await
        .then_expect_error(UserError::PasswordReplaced);
}
