//! The sessions read model (`sessions_v1`), fed from the `identity.session` topic:
//! [`SessionsProjection`] is the pure reducer; [`get_session`] and [`list_sessions`] are the
//! queries the gateway serves (the session check on every authenticated request, and
//! `GET /v1/auth/sessions`).

use chrono::{DateTime, Utc};
use plinth_infra_module::{Envelope, Projection, Statement};
use plinth_infra_module::{Migration, Migrations};
use plinth_infra_postgres::GenericClient;
use plinth_schemas::identity::IdentityEvent;
use serde::Serialize;
use tokio_postgres::Row;
use uuid::Uuid;

/// The read model's table.
pub const MIGRATIONS: Migrations = Migrations {
    component: "projection_sessions",
    steps: &[Migration {
        version: 1,
        name: "sessions_v1",
        sql: include_str!("../migrations/0001_sessions_v1.sql"),
    }],
};

/// The projection's name, as recorded with its offsets and progress.
pub const NAME: &str = "sessions_v1";

/// The reducer.
#[derive(Debug, Clone, Copy, Default)]
pub struct SessionsProjection;

impl Projection for SessionsProjection {
    type Event = IdentityEvent;

    fn name(&self) -> &'static str {
        NAME
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["identity.session"]
    }

    fn migrations(&self) -> Migrations {
        MIGRATIONS
    }

    fn reduce(&self, envelope: &Envelope<IdentityEvent>) -> Vec<Statement> {
        let statement = match &envelope.event {
            IdentityEvent::SessionStarted(e) => Statement {
                sql: include_str!("../sql/insert_session.sql"),
                params: vec![
                    Box::new(e.session_id),
                    Box::new(e.user_id),
                    Box::new(e.tenant_id.clone()),
                    Box::new(e.at),
                    Box::new(e.expires_at),
                    Box::new(envelope.sequence),
                ],
            },
            IdentityEvent::SessionRefreshed(e) => Statement {
                sql: include_str!("../sql/refresh_session.sql"),
                params: vec![
                    Box::new(e.session_id),
                    Box::new(e.at),
                    Box::new(envelope.sequence),
                ],
            },
            IdentityEvent::SessionRevoked(e) => Statement {
                sql: include_str!("../sql/revoke_session.sql"),
                params: vec![
                    Box::new(e.session_id),
                    Box::new(e.at),
                    Box::new(e.reason.clone()),
                    Box::new(envelope.sequence),
                ],
            },
            _ => return Vec::new(),
        };
        vec![statement]
    }
}

/// A session as the read model shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionView {
    pub id: Uuid,
    pub user_id: Uuid,
    pub tenant_id: String,
    pub started_at: DateTime<Utc>,
    pub last_refreshed_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_reason: Option<String>,
}

impl From<&Row> for SessionView {
    fn from(r: &Row) -> Self {
        Self {
            id: r.get("session_id"),
            user_id: r.get("user_id"),
            tenant_id: r.get("tenant_id"),
            started_at: r.get("started_at"),
            last_refreshed_at: r.get("last_refreshed_at"),
            expires_at: r.get("expires_at"),
            revoked_at: r.get("revoked_at"),
            revoked_reason: r.get("revoked_reason"),
        }
    }
}

/// The session `id` in `tenant`, if the view has it.
pub async fn get_session(
    client: &impl GenericClient,
    tenant: &str,
    id: Uuid,
) -> Result<Option<SessionView>, tokio_postgres::Error> {
    let row = client
        .query_opt(include_str!("../sql/get_session.sql"), &[&id, &tenant])
        .await?;
    Ok(row.as_ref().map(SessionView::from))
}

/// The sessions of `user` that still work (not revoked, expired, or idle longer than `idle`),
/// newest first (at most 200).
pub async fn list_sessions(
    client: &impl GenericClient,
    tenant: &str,
    user: Uuid,
    idle: std::time::Duration,
) -> Result<Vec<SessionView>, tokio_postgres::Error> {
    let idle = idle.as_secs_f64();
    let rows = client
        .query(
            include_str!("../sql/list_sessions.sql"),
            &[&tenant, &user, &idle],
        )
        .await?;
    Ok(rows.iter().map(SessionView::from).collect())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use plinth_schemas::identity::SessionRevokedV1;

    use super::*;

    #[test]
    fn a_revocation_records_when_and_why() {
        let at = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
        let envelope = Envelope {
            event_id: Uuid::now_v7(),
            aggregate_type: "identity.session".into(),
            aggregate_id: Uuid::from_u128(1).to_string(),
            sequence: 3,
            tenant_id: "default".into(),
            traceparent: None,
            event: IdentityEvent::SessionRevoked(SessionRevokedV1 {
                session_id: Uuid::from_u128(1),
                user_id: Uuid::from_u128(7),
                tenant_id: "default".into(),
                reason: "refresh_token_reused".into(),
                at,
            }),
        };
        let statements = SessionsProjection.reduce(&envelope);
        assert_eq!(statements.len(), 1);
        assert!(statements[0].sql.contains("revoked_reason = $3"));
        let debug = format!("{:?}", statements[0].params);
        assert!(
            debug.contains("refresh_token_reused") && debug.ends_with("3]"),
            "{debug}"
        );
    }
}
