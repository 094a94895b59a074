//! Verification, reset, administration and bootstrap, given / when / then.

use super::*;

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
    let session = uuid::Uuid::now_v7();
    assert!(!user.accepts_session(session, noon() - chrono::Duration::seconds(1)));
    assert!(user.accepts_session(session, noon()));
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
    assert!(!user.accepts_session(uuid::Uuid::now_v7(), noon() - chrono::Duration::minutes(1)));
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
        kept_session: None,
    });
    TestFramework::<User>::with(services(Arc::new(PrefixHasher)))
        .given(vec![ada_registered(), changed])
        .when_async(login(true))
        .await
        .then_expect_error(UserError::PasswordReplaced);
}
