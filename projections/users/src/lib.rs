//! The users read model (`users_v1`): fed from the identity topic, never from the event table,
//! exactly as a downstream team would build it. [`UsersProjection`] is the pure reducer;
//! the queries the gateway serves are in `queries.rs`.

mod queries;

use chrono::{DateTime, Utc};
use plinth_infra_module::{Envelope, Projection, Statement};
use plinth_infra_module::{Migration, Migrations};
use plinth_schemas::identity::IdentityEvent;
use uuid::Uuid;

pub use queries::{Access, UserPage, UserView, access, get_user, list_users};

/// The read model's table.
pub const MIGRATIONS: Migrations = Migrations {
    component: "projection_users",
    steps: &[
        Migration {
            version: 1,
            name: "users_v1",
            sql: include_str!("../migrations/0001_users_v1.sql"),
        },
        Migration {
            version: 2,
            name: "account_state",
            sql: include_str!("../migrations/0002_account_state.sql"),
        },
        Migration {
            version: 3,
            name: "session_kept",
            sql: include_str!("../migrations/0003_session_kept.sql"),
        },
    ],
};

/// The projection's name, as recorded with its offsets and progress.
pub const NAME: &str = "users_v1";

/// The reducer.
#[derive(Debug, Clone, Copy, Default)]
pub struct UsersProjection;

impl Projection for UsersProjection {
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
        match &envelope.event {
            IdentityEvent::UserRegistered(e) => vec![Statement {
                sql: include_str!("../sql/insert_user.sql"),
                params: vec![
                    Box::new(e.user_id),
                    Box::new(e.tenant_id.clone()),
                    Box::new(e.email.clone()),
                    Box::new(e.display_name.clone()),
                    Box::new(e.registered_at),
                    Box::new(envelope.sequence),
                ],
            }],
            IdentityEvent::DisplayNameChanged(e) => vec![Statement {
                sql: include_str!("../sql/rename_user.sql"),
                params: vec![
                    Box::new(e.user_id),
                    Box::new(e.display_name.clone()),
                    Box::new(envelope.sequence),
                ],
            }],
            IdentityEvent::EmailVerified(e) => {
                flags(e.user_id, Flags::verified(), envelope.sequence)
            }
            IdentityEvent::PasswordChanged(e) => flags(
                e.user_id,
                Flags {
                    sessions_not_before: Some(e.at),
                    session_kept: e.kept_session_id,
                    ..Flags::default()
                },
                envelope.sequence,
            ),
            IdentityEvent::PasswordReset(e) => flags(
                e.user_id,
                Flags {
                    sessions_not_before: Some(e.at),
                    ..Flags::verified()
                },
                envelope.sequence,
            ),
            IdentityEvent::UserDisabled(e) => flags(
                e.user_id,
                Flags {
                    disabled: Some(true),
                    sessions_not_before: Some(e.at),
                    ..Flags::default()
                },
                envelope.sequence,
            ),
            IdentityEvent::UserEnabled(e) => flags(
                e.user_id,
                Flags {
                    disabled: Some(false),
                    ..Flags::default()
                },
                envelope.sequence,
            ),
            IdentityEvent::AdministratorBootstrapped(e) => flags(
                e.user_id,
                Flags {
                    administrator: Some(true),
                    ..Flags::default()
                },
                envelope.sequence,
            ),
            // Logins, sessions, tokens, and other modules' events change nothing shown here.
            _ => Vec::new(),
        }
    }
}

/// Account state changes; `None` leaves a column as it is.
#[derive(Debug, Default, Clone, Copy)]
struct Flags {
    email_verified: Option<bool>,
    disabled: Option<bool>,
    administrator: Option<bool>,
    /// Replaces the kept session whenever `sessions_not_before` is set.
    sessions_not_before: Option<DateTime<Utc>>,
    session_kept: Option<Uuid>,
}

impl Flags {
    fn verified() -> Self {
        Self {
            email_verified: Some(true),
            ..Self::default()
        }
    }
}

fn flags(user_id: Uuid, flags: Flags, sequence: i64) -> Vec<Statement> {
    vec![Statement {
        sql: include_str!("../sql/set_flag.sql"),
        params: vec![
            Box::new(user_id),
            Box::new(flags.email_verified),
            Box::new(flags.disabled),
            Box::new(flags.administrator),
            Box::new(flags.sessions_not_before),
            Box::new(sequence),
            Box::new(flags.session_kept),
        ],
    }]
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use plinth_schemas::identity::UserRegisteredV1;

    use super::*;

    fn envelope(sequence: i64) -> Envelope<IdentityEvent> {
        Envelope {
            event_id: Uuid::now_v7(),
            aggregate_type: "identity.user".into(),
            aggregate_id: Uuid::from_u128(1).to_string(),
            sequence,
            tenant_id: "default".into(),
            traceparent: None,
            event: IdentityEvent::UserRegistered(UserRegisteredV1 {
                user_id: Uuid::from_u128(1),
                tenant_id: "default".into(),
                email: "ada@example.org".into(),
                display_name: "Ada".into(),
                registered_at: Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap(),
            }),
        }
    }

    #[test]
    fn a_registration_inserts_one_row_versioned_by_the_event_sequence() {
        let statements = UsersProjection.reduce(&envelope(1));
        assert_eq!(statements.len(), 1);
        assert!(statements[0].sql.contains("INSERT INTO users_v1"));
        assert_eq!(statements[0].params.len(), 6);
        let debug = format!("{:?}", statements[0].params);
        assert!(
            debug.contains("ada@example.org") && debug.ends_with("1]"),
            "{debug}"
        );
    }
}
