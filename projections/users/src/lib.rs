//! The users read model (`users_v1`): fed from the identity topic, never from the event table,
//! exactly as a downstream team would build it. [`UsersProjection`] is the pure reducer;
//! [`get_user`] is the query the gateway serves.

use chrono::{DateTime, Utc};
use plinth_infra_postgres::{GenericClient, Migration, Migrations};
use plinth_projections_runtime::{Envelope, Projection, Statement};
use plinth_schemas::PublishedEvent;
use serde::Serialize;
use uuid::Uuid;

/// The read model's table.
pub const MIGRATIONS: Migrations = Migrations {
    component: "projection_users",
    steps: &[Migration {
        version: 1,
        name: "users_v1",
        sql: include_str!("../migrations/0001_users_v1.sql"),
    }],
};

/// The projection's name, as recorded with its offsets and progress.
pub const NAME: &str = "users_v1";

/// The reducer.
#[derive(Debug, Clone, Copy, Default)]
pub struct UsersProjection;

impl Projection for UsersProjection {
    fn name(&self) -> &'static str {
        NAME
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["identity.user"]
    }

    fn reduce(&self, envelope: &Envelope) -> Vec<Statement> {
        match &envelope.event {
            PublishedEvent::UserRegistered(e) => vec![Statement {
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
            PublishedEvent::DisplayNameChanged(e) => vec![Statement {
                sql: include_str!("../sql/rename_user.sql"),
                params: vec![
                    Box::new(e.user_id),
                    Box::new(e.display_name.clone()),
                    Box::new(envelope.sequence),
                ],
            }],
            PublishedEvent::PasswordChanged(_)
            | PublishedEvent::LoginSucceeded(_)
            | PublishedEvent::LoginFailed(_)
            | PublishedEvent::AccountLocked(_) => Vec::new(),
        }
    }
}

/// A user as the read model shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserView {
    pub id: Uuid,
    pub tenant_id: String,
    pub email: String,
    pub display_name: String,
    pub created_at: DateTime<Utc>,
    pub version: i64,
}

/// The user `id` of `tenant`, if the view has it.
pub async fn get_user(
    client: &impl GenericClient,
    tenant: &str,
    id: Uuid,
) -> Result<Option<UserView>, tokio_postgres::Error> {
    let row = client
        .query_opt(include_str!("../sql/get_user.sql"), &[&id, &tenant])
        .await?;
    Ok(row.map(|r| UserView {
        id: r.get("user_id"),
        tenant_id: r.get("tenant_id"),
        email: r.get("email"),
        display_name: r.get("display_name"),
        created_at: r.get("created_at"),
        version: r.get("version"),
    }))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use plinth_schemas::identity::UserRegisteredV1;

    use super::*;

    fn envelope(sequence: i64) -> Envelope {
        Envelope {
            event_id: Uuid::now_v7(),
            aggregate_type: "identity.user".into(),
            aggregate_id: Uuid::from_u128(1).to_string(),
            sequence,
            tenant_id: "default".into(),
            traceparent: None,
            event: PublishedEvent::UserRegistered(UserRegisteredV1 {
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
