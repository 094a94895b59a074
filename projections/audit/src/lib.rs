//! The audit read model (`audit_records_v1`, `audit_checkpoints_v1`), fed from the audit topics
//! like any downstream copy of the trail. [`AuditProjection`] is the pure reducer; the searches
//! the gateway serves are in `queries.rs`. The trail itself, and its verification, live in the
//! event store (`plinth-services-audit`); this is only its searchable copy.

mod queries;

use plinth_infra_module::{Envelope, Projection, Statement};
use plinth_infra_module::{Migration, Migrations};
use plinth_schemas::audit::AuditEvent;

pub use queries::{CheckpointPage, RecordPage, RecordSearch, list_checkpoints, list_records};

/// The read model's tables.
pub const MIGRATIONS: Migrations = Migrations {
    component: "projection_audit",
    steps: &[Migration {
        version: 1,
        name: "audit_v1",
        sql: include_str!("../migrations/0001_audit_v1.sql"),
    }],
};

/// The projection's name, as recorded with its offsets and progress.
pub const NAME: &str = "audit_v1";

/// The reducer.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditProjection;

impl Projection for AuditProjection {
    type Event = AuditEvent;

    fn name(&self) -> &'static str {
        NAME
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["audit.trail", "audit.checkpoint"]
    }

    fn migrations(&self) -> Migrations {
        MIGRATIONS
    }

    fn reduce(&self, envelope: &Envelope<AuditEvent>) -> Vec<Statement> {
        match &envelope.event {
            AuditEvent::RecordAppended(r) => vec![Statement {
                sql: include_str!("../sql/insert_record.sql"),
                params: vec![
                    Box::new(r.tenant_id.clone()),
                    Box::new(r.position),
                    Box::new(r.at),
                    Box::new(r.actor.clone()),
                    Box::new(r.action.clone()),
                    Box::new(r.target_type.clone()),
                    Box::new(r.target_id.clone()),
                    Box::new(r.outcome.as_str()),
                    Box::new(r.source_ip.clone()),
                    Box::new(r.user_agent.clone()),
                    Box::new(r.correlation_id.clone()),
                    Box::new(r.causation_id.clone()),
                    Box::new(r.source_event_id),
                    Box::new(r.source_position),
                    Box::new(r.details.clone()),
                    Box::new(r.prev_hash.clone()),
                    Box::new(r.hash.clone()),
                ],
            }],
            AuditEvent::CheckpointSigned(c) => vec![Statement {
                sql: include_str!("../sql/insert_checkpoint.sql"),
                params: vec![
                    Box::new(c.tenant_id.clone()),
                    Box::new(c.position),
                    Box::new(c.head_hash.clone()),
                    Box::new(c.at),
                    Box::new(c.key_id.clone()),
                    Box::new(c.signature.clone()),
                ],
            }],
        }
    }
}
