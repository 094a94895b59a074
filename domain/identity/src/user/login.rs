//! Login attempts and the lockout: exact under concurrency because every attempt is an event
//! on the user, appended under the aggregate's optimistic lock.

use cqrs_es::event_sink::EventSink;

use super::{User, UserError};
use crate::services::UserServices;
use crate::{AccountLocked, LoginFailed, LoginSucceeded, RecordLogin, UserEvent};

impl User {
    /// Counts a login attempt: a success clears the failures, the `max_failures`-th failure in
    /// a row locks the account for `lock_for`. While locked, attempts are refused unrecorded. A
    /// disabled account still counts failures but refuses the right password.
    pub(super) async fn record_login(
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
            if user.disabled {
                return Err(UserError::Disabled);
            }
            if user.password_hash != cmd.checked_against {
                return Err(UserError::PasswordReplaced);
            }
            let event = LoginSucceeded {
                user_id,
                tenant_id,
                at: now,
            };
            sink.write(UserEvent::LoginSucceeded(event), self).await;
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
            let locked = AccountLocked {
                user_id,
                tenant_id,
                at: now,
                until: now + services.lockout.lock_for,
            };
            sink.write(UserEvent::AccountLocked(locked), self).await;
        }
        Ok(())
    }
}
