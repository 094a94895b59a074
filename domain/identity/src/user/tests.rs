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
        Box::pin(async { Err(HashingError("out of memory".into())) })
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

fn ada_registered() -> UserEvent {
    UserEvent::UserRegistered(UserRegistered {
        user_id: UserId(uuid::Uuid::from_u128(7)),
        tenant_id: TenantId::default(),
        email: Email::parse("ada@example.org").unwrap(),
        display_name: DisplayName::parse("Ada").unwrap(),
        password_hash: PasswordHash("$fake$21".into()),
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
async fn a_new_password_is_stored_only_as_its_hash() {
    let change = UserCommand::ChangePassword(crate::ChangePassword {
        new_password: PasswordPolicy::default()
            .parse("a brand new passphrase", None)
            .unwrap(),
    });
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given(vec![ada_registered()])
        .when_async(change)
        .await
        .then_expect_events(vec![UserEvent::PasswordChanged(PasswordChanged {
            user_id: UserId(uuid::Uuid::from_u128(7)),
            tenant_id: TenantId::default(),
            password_hash: PasswordHash("$fake$22".into()),
            at: noon(),
        })]);
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

fn ada() -> (UserId, TenantId) {
    (UserId(uuid::Uuid::from_u128(7)), TenantId::default())
}

fn token(hash: &str, expires_at: DateTime<Utc>) -> crate::OneTimeToken {
    crate::OneTimeToken {
        hash: crate::TokenHash(hash.to_owned()),
        expires_at,
    }
}

fn verification_issued(hash: &str) -> UserEvent {
    let (user_id, tenant_id) = ada();
    UserEvent::EmailVerificationIssued(crate::EmailVerificationIssued {
        user_id,
        tenant_id,
        token: token(hash, noon() + chrono::Duration::hours(24)),
        at: noon(),
    })
}

fn verify(hash: &str) -> UserCommand {
    UserCommand::VerifyEmail(crate::RedeemToken {
        hash: crate::TokenHash(hash.to_owned()),
    })
}

fn verified() -> UserEvent {
    let (user_id, tenant_id) = ada();
    UserEvent::EmailVerified(crate::EmailVerified {
        user_id,
        tenant_id,
        email: Email::parse("ada@example.org").unwrap(),
        at: noon(),
    })
}

#[tokio::test]
async fn the_latest_verification_token_verifies_the_address_once() {
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given(vec![ada_registered(), verification_issued("t1")])
        .when_async(verify("t1"))
        .await
        .then_expect_events(vec![verified()]);
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given(vec![
            ada_registered(),
            verification_issued("t1"),
            verified(),
        ])
        .when_async(verify("t1"))
        .await
        .then_expect_error(UserError::InvalidToken);
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given(vec![
            ada_registered(),
            verification_issued("t1"),
            verification_issued("t2"),
        ])
        .when_async(verify("t1"))
        .await
        .then_expect_error(UserError::InvalidToken);
}

#[tokio::test]
async fn an_expired_verification_token_is_refused() {
    let (user_id, tenant_id) = ada();
    let expired = UserEvent::EmailVerificationIssued(crate::EmailVerificationIssued {
        user_id,
        tenant_id,
        token: token("t1", noon()),
        at: noon() - chrono::Duration::hours(24),
    });
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given(vec![ada_registered(), expired])
        .when_async(verify("t1"))
        .await
        .then_expect_error(UserError::InvalidToken);
}

#[tokio::test]
async fn a_verified_address_gets_no_new_verification_token() {
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given(vec![
            ada_registered(),
            verification_issued("t1"),
            verified(),
        ])
        .when_async(UserCommand::IssueEmailVerification(crate::IssueToken {
            token: token("t2", noon() + chrono::Duration::hours(1)),
        }))
        .await
        .then_expect_error(UserError::AlreadyVerified);
}

#[tokio::test]
async fn a_reset_token_replaces_the_password_once_and_clears_the_lockout() {
    let (user_id, tenant_id) = ada();
    let issued = UserEvent::PasswordResetIssued(crate::PasswordResetIssued {
        user_id,
        tenant_id: tenant_id.clone(),
        token: token("r1", noon() + chrono::Duration::hours(1)),
        at: noon(),
    });
    let reset = |hash: &str| {
        UserCommand::ResetPassword(crate::ResetPassword {
            hash: crate::TokenHash(hash.to_owned()),
            new_password: PasswordPolicy::default()
                .parse("a brand new passphrase", None)
                .unwrap(),
        })
    };
    let done = UserEvent::PasswordReset(crate::PasswordReset {
        user_id,
        tenant_id,
        password_hash: PasswordHash("$fake$22".into()),
        at: noon(),
    });
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given(vec![ada_registered(), issued.clone()])
        .when_async(reset("wrong"))
        .await
        .then_expect_error(UserError::InvalidToken);
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given(vec![ada_registered(), issued.clone()])
        .when_async(reset("r1"))
        .await
        .then_expect_events(vec![done.clone()]);
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given(vec![ada_registered(), issued.clone(), done.clone()])
        .when_async(reset("r1"))
        .await
        .then_expect_error(UserError::InvalidToken);
    // The reset lifts a lock: the right password works at once.
    let mut user = User::default();
    for event in [
        ada_registered(),
        locked(noon() + chrono::Duration::minutes(10)),
        issued,
        done,
    ] {
        user.apply(event);
    }
    assert!(user.registered.as_ref().unwrap().locked_until.is_none());
    assert!(user.email_verified());
    assert!(!user.accepts_session_from(noon() - chrono::Duration::seconds(1)));
    assert!(user.accepts_session_from(noon()));
}

#[tokio::test]
async fn a_disabled_user_counts_failures_but_cannot_log_in_until_enabled() {
    let (user_id, tenant_id) = ada();
    let disabled = UserEvent::UserDisabled(crate::UserDisabled {
        user_id,
        tenant_id: tenant_id.clone(),
        at: noon(),
    });
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given(vec![ada_registered()])
        .when_async(UserCommand::Disable)
        .await
        .then_expect_events(vec![disabled.clone()]);
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given(vec![ada_registered(), disabled.clone()])
        .when_async(login(true))
        .await
        .then_expect_error(UserError::Disabled);
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given(vec![ada_registered(), disabled.clone()])
        .when_async(login(false))
        .await
        .then_expect_events(vec![failed(1)]);
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given(vec![ada_registered(), disabled.clone()])
        .when_async(UserCommand::Disable)
        .await
        .then_expect_events(vec![]);
    let enabled = UserEvent::UserEnabled(crate::UserEnabled {
        user_id,
        tenant_id,
        at: noon(),
    });
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given(vec![ada_registered(), disabled.clone()])
        .when_async(UserCommand::Enable)
        .await
        .then_expect_events(vec![enabled.clone()]);
    // Sessions from before the disable stay ended after the enable.
    let mut user = User::default();
    for event in [ada_registered(), disabled, enabled] {
        user.apply(event);
    }
    assert!(!user.disabled());
    assert!(!user.accepts_session_from(noon() - chrono::Duration::minutes(1)));
}

#[tokio::test]
async fn a_bootstrap_administrator_is_registered_and_promoted_in_one_commit() {
    let (user_id, tenant_id) = ada();
    let mut command = register_ada();
    command.administrator = true;
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given_no_previous_events()
        .when_async(UserCommand::Register(command))
        .await
        .then_expect_events(vec![
            ada_registered(),
            UserEvent::AdministratorBootstrapped(crate::AdministratorBootstrapped {
                user_id,
                tenant_id,
                at: noon(),
            }),
        ]);
}

#[test]
fn only_one_bootstrap_administrator_is_claimed_per_tenant() {
    use plinth_domain_core::UniqueClaims;
    let (user_id, tenant_id) = ada();
    let claims = UserEvent::AdministratorBootstrapped(crate::AdministratorBootstrapped {
        user_id,
        tenant_id,
        at: noon(),
    })
    .unique_claims();
    assert_eq!(claims.len(), 1);
    assert_eq!(claims[0].scope, crate::BOOTSTRAP_ADMIN_CLAIM_SCOPE);
    assert_eq!(claims[0].key, "default");
}

#[tokio::test]
async fn reset_requests_are_throttled_to_one_a_minute() {
    let (user_id, tenant_id) = ada();
    let requested = |at: DateTime<Utc>| {
        UserEvent::PasswordResetRequested(crate::PasswordResetRequested {
            user_id,
            tenant_id: tenant_id.clone(),
            at,
        })
    };
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given(vec![
            ada_registered(),
            requested(noon() - chrono::Duration::seconds(30)),
        ])
        .when_async(UserCommand::RequestPasswordReset)
        .await
        .then_expect_events(vec![]);
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given(vec![
            ada_registered(),
            requested(noon() - chrono::Duration::seconds(61)),
        ])
        .when_async(UserCommand::RequestPasswordReset)
        .await
        .then_expect_events(vec![requested(noon())]);
}

#[tokio::test]
async fn a_login_checked_against_a_replaced_password_is_refused() {
    let (user_id, tenant_id) = ada();
    let changed = UserEvent::PasswordChanged(PasswordChanged {
        user_id,
        tenant_id,
        password_hash: PasswordHash("$fake$22".into()),
        at: noon(),
    });
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given(vec![ada_registered(), changed])
        .when_async(login(true))
        .await
        .then_expect_error(UserError::PasswordReplaced);
}
