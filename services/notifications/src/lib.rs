//! The notification worker. Mails are driven by identity events, never sent inside a
//! command's transaction:
//!
//! 1. [`OutboxProjection`] consumes the `identity.user` topic like any read model and queues
//!    one row per mail-worthy event (`UserRegistered` → verification, `PasswordResetRequested`
//!    → reset) in `notification_outbox`, in the same transaction as its offsets: exactly one
//!    row per event, whatever Kafka redelivers.
//! 2. [`Sender`] leases due rows, has the identity service issue a fresh single-use token
//!    (only its hash is stored, as an event), mails it through the [`Notifier`] port, and marks
//!    the row sent. A failure that may pass (the mail server or the database unreachable) is
//!    retried with backoff, at most [`MAX_ATTEMPTS`] times; a permanent one (an address the
//!    mail server refuses to build a message for) marks the row failed. The row's event id is the mail's
//!    Message-ID (and the development mailbox's file name), so the rare resend after a crash
//!    between sending and marking is recognisable as the same message.
//!
//! [`Notifier`]: plinth_infra_mail::Notifier

mod compose;
mod sender;

include!(concat!(env!("OUT_DIR"), "/manifest.rs"));

use std::sync::Arc;

use plinth_infra_module::{
    DynProjection, Envelope, Migration, Migrations, Module, Projection, Statement,
};
use plinth_schemas::identity::IdentityEvent;

pub use sender::{MAX_ATTEMPTS, Sender, SenderSettings};

/// The notifications module: the outbox read model (its table is the outbox). The [`Sender`]
/// runs as the `notifier` component.
#[derive(Debug, Clone, Copy, Default)]
pub struct NotificationsModule;

impl Module for NotificationsModule {
    fn manifest(&self) -> &'static plinth_domain_permissions::Manifest {
        &MANIFEST
    }

    fn projections(&self) -> Vec<Arc<dyn DynProjection>> {
        vec![Arc::new(OutboxProjection)]
    }
}

/// The outbox table.
pub const MIGRATIONS: Migrations = Migrations {
    component: "notifications",
    steps: &[
        Migration {
            version: 1,
            name: "outbox",
            sql: include_str!("../migrations/0001_outbox.sql"),
        },
        Migration {
            version: 2,
            name: "lease_owner_and_give_up",
            sql: include_str!("../migrations/0002_lease_owner_and_give_up.sql"),
        },
    ],
};

/// The projection's name, as recorded with its offsets and progress.
pub const NAME: &str = "notification_outbox";

/// Which mail a row asks for.
pub(crate) const VERIFY_EMAIL: &str = "verify_email";
pub(crate) const RESET_PASSWORD: &str = "reset_password";

/// Queues mails from identity events.
#[derive(Debug, Clone, Copy, Default)]
pub struct OutboxProjection;

impl Projection for OutboxProjection {
    type Event = IdentityEvent;

    fn name(&self) -> &'static str {
        NAME
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["identity.user"]
    }

    fn migrations(&self) -> Migrations {
        MIGRATIONS
    }

    fn reduce(&self, envelope: &Envelope<IdentityEvent>) -> Vec<Statement> {
        let (kind, user_id, tenant_id) = match &envelope.event {
            IdentityEvent::UserRegistered(e) => (VERIFY_EMAIL, e.user_id, &e.tenant_id),
            IdentityEvent::PasswordResetRequested(e) => (RESET_PASSWORD, e.user_id, &e.tenant_id),
            _ => return Vec::new(),
        };
        vec![Statement {
            sql: include_str!("../sql/enqueue.sql"),
            params: vec![
                Box::new(envelope.event_id),
                Box::new(kind),
                Box::new(user_id),
                Box::new(tenant_id.clone()),
            ],
        }]
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use plinth_schemas::identity::{UserFactV1, UserRegisteredV1};
    use uuid::Uuid;

    use super::*;

    fn envelope(event: IdentityEvent) -> Envelope<IdentityEvent> {
        Envelope {
            event_id: Uuid::from_u128(99),
            aggregate_type: "identity.user".into(),
            aggregate_id: Uuid::from_u128(1).to_string(),
            sequence: 1,
            tenant_id: "default".into(),
            traceparent: None,
            event,
        }
    }

    #[test]
    fn a_registration_queues_a_verification_mail_keyed_by_its_event() {
        let statements =
            OutboxProjection.reduce(&envelope(IdentityEvent::UserRegistered(UserRegisteredV1 {
                user_id: Uuid::from_u128(1),
                tenant_id: "default".into(),
                email: "ada@example.org".into(),
                display_name: "Ada".into(),
                registered_at: Utc::now(),
            })));
        assert_eq!(statements.len(), 1);
        let debug = format!("{:?}", statements[0].params);
        assert!(
            debug.contains("verify_email") && debug.contains(&Uuid::from_u128(99).to_string()),
            "{debug}"
        );
    }

    #[test]
    fn a_login_queues_nothing() {
        let login = IdentityEvent::LoginSucceeded(UserFactV1 {
            user_id: Uuid::from_u128(1),
            tenant_id: "default".into(),
            at: Utc::now(),
        });
        assert!(OutboxProjection.reduce(&envelope(login)).is_empty());
    }
}
