use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use plinth_domain_core::TenantId;
use serde::{Deserialize, Serialize};

use chrono::{DateTime, Utc};

use crate::services::{HashingError, UserServices};
use crate::{
    AccountLocked, DisplayName, DisplayNameChanged, Email, LoginFailed, LoginSucceeded,
    PasswordChanged, PasswordHash, RecordLogin, RegisterUser, UserCommand, UserEvent, UserId,
    UserRegistered,
};

/// A user account. `None` fields mean "not registered yet".
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct User {
    registered: Option<Registered>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Registered {
    user_id: UserId,
    tenant_id: TenantId,
    email: Email,
    display_name: DisplayName,
    password_hash: PasswordHash,
    /// Failed logins in a row since the last success or lock.
    failures: u32,
    locked_until: Option<DateTime<Utc>>,
}

/// Why a user command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    #[error("this user is already registered")]
    AlreadyRegistered,
    #[error("no such user")]
    NotRegistered,
    #[error("the account is locked until {until}")]
    Locked { until: DateTime<Utc> },
    #[error(transparent)]
    Hashing(#[from] HashingError),
}

impl Aggregate for User {
    const TYPE: &'static str = "identity.user";
    type Command = UserCommand;
    type Event = UserEvent;
    type Error = UserError;
    type Services = UserServices;

    async fn handle(
        &mut self,
        command: Self::Command,
        services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        match command {
            UserCommand::Register(cmd) => self.register(cmd, services, sink).await,
            UserCommand::RecordLogin(cmd) => self.record_login(cmd, services, sink).await,
            UserCommand::ChangePassword(cmd) => {
                let user = self.registered.as_ref().ok_or(UserError::NotRegistered)?;
                let (user_id, tenant_id) = (user.user_id, user.tenant_id.clone());
                let password_hash = services.hasher.hash(&cmd.new_password).await?;
                let event = PasswordChanged {
                    user_id,
                    tenant_id,
                    password_hash,
                    at: services.clock.now(),
                };
                sink.write(UserEvent::PasswordChanged(event), self).await;
                Ok(())
            }
            UserCommand::ChangeDisplayName(cmd) => {
                let user = self.registered.as_ref().ok_or(UserError::NotRegistered)?;
                if user.display_name == cmd.display_name {
                    return Ok(());
                }
                let event = DisplayNameChanged {
                    user_id: user.user_id,
                    tenant_id: user.tenant_id.clone(),
                    display_name: cmd.display_name,
                    at: services.clock.now(),
                };
                sink.write(UserEvent::DisplayNameChanged(event), self).await;
                Ok(())
            }
        }
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            UserEvent::UserRegistered(e) => {
                self.registered = Some(Registered {
                    user_id: e.user_id,
                    tenant_id: e.tenant_id,
                    email: e.email,
                    display_name: e.display_name,
                    password_hash: e.password_hash,
                    failures: 0,
                    locked_until: None,
                });
            }
            UserEvent::LoginSucceeded(_) => {
                if let Some(user) = &mut self.registered {
                    user.failures = 0;
                    user.locked_until = None;
                }
            }
            UserEvent::LoginFailed(e) => {
                if let Some(user) = &mut self.registered {
                    user.failures = e.consecutive_failures;
                }
            }
            UserEvent::AccountLocked(e) => {
                if let Some(user) = &mut self.registered {
                    user.failures = 0;
                    user.locked_until = Some(e.until);
                }
            }
            UserEvent::DisplayNameChanged(e) => {
                if let Some(user) = &mut self.registered {
                    user.display_name = e.display_name;
                }
            }
            UserEvent::PasswordChanged(e) => {
                if let Some(user) = &mut self.registered {
                    user.password_hash = e.password_hash;
                }
            }
        }
    }
}

impl User {
    async fn register(
        &mut self,
        cmd: RegisterUser,
        services: &UserServices,
        sink: &EventSink<Self>,
    ) -> Result<(), UserError> {
        if self.registered.is_some() {
            return Err(UserError::AlreadyRegistered);
        }
        let password_hash = services.hasher.hash(&cmd.password).await?;
        let event = UserRegistered {
            user_id: cmd.user_id,
            tenant_id: cmd.tenant_id,
            email: cmd.email,
            display_name: cmd.display_name,
            password_hash,
            registered_at: services.clock.now(),
        };
        sink.write(UserEvent::UserRegistered(event), self).await;
        Ok(())
    }

    /// Counts a login attempt: a success clears the failures, the `max_failures`-th failure in
    /// a row locks the account for `lock_for`. While locked, attempts are refused unrecorded.
    async fn record_login(
        &mut self,
        cmd: RecordLogin,
        services: &UserServices,
        sink: &EventSink<Self>,
    ) -> Result<(), UserError> {
        let user = self.registered.as_ref().ok_or(UserError::NotRegistered)?;
        let now = services.clock.now();
        if let Some(until) = user.locked_until.filter(|until| *until > now) {
            return Err(UserError::Locked { until });
        }
        let (user_id, tenant_id) = (user.user_id, user.tenant_id.clone());
        if cmd.succeeded {
            sink.write(
                UserEvent::LoginSucceeded(LoginSucceeded {
                    user_id,
                    tenant_id,
                    at: now,
                }),
                self,
            )
            .await;
            return Ok(());
        }
        let consecutive_failures = user.failures + 1;
        let failed = LoginFailed {
            user_id,
            tenant_id: tenant_id.clone(),
            at: now,
            consecutive_failures,
        };
        sink.write(UserEvent::LoginFailed(failed), self).await;
        if consecutive_failures >= services.lockout.max_failures {
            let until = now + services.lockout.lock_for;
            sink.write(
                UserEvent::AccountLocked(AccountLocked {
                    user_id,
                    tenant_id,
                    at: now,
                    until,
                }),
                self,
            )
            .await;
        }
        Ok(())
    }

    /// The e-mail address, once registered.
    pub fn email(&self) -> Option<&Email> {
        self.registered.as_ref().map(|r| &r.email)
    }

    /// The stored password hash, once registered.
    pub fn password_hash(&self) -> Option<&PasswordHash> {
        self.registered.as_ref().map(|r| &r.password_hash)
    }
}

#[cfg(test)]
mod tests {
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
        fn hash<'a>(
            &'a self,
            _: &'a Password,
        ) -> BoxFuture<'a, Result<PasswordHash, HashingError>> {
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
        UserCommand::RecordLogin(crate::RecordLogin { succeeded })
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
}
