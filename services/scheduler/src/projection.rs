//! The job queue (`scheduler_jobs_v1`), a read model of `scheduler.job`: a row per scheduled
//! job, moved on by each outcome event. Workers only claim rows (`worker.rs`); every state
//! change after a run comes from the recorded outcome.

use plinth_infra_module::{Envelope, Migration, Migrations, Projection, Statement};

use crate::events::SchedulerEvent;

/// The projection's name.
pub const NAME: &str = "scheduler_jobs_v1";

/// The reducer.
#[derive(Debug, Clone, Copy, Default)]
pub struct JobsProjection;

impl Projection for JobsProjection {
    type Event = SchedulerEvent;

    fn name(&self) -> &'static str {
        NAME
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["scheduler.job"]
    }

    fn migrations(&self) -> Migrations {
        Migrations {
            component: "projection_scheduler",
            steps: &[Migration {
                version: 1,
                name: "scheduler_jobs_v1",
                sql: include_str!("../migrations/0001_scheduler_jobs_v1.sql"),
            }],
        }
    }

    fn reduce(&self, envelope: &Envelope<SchedulerEvent>) -> Vec<Statement> {
        let finish =
            |job_id: uuid::Uuid, state: &'static str, attempt: i32, error: Option<String>| {
                Statement {
                    sql: include_str!("../sql/finish_job.sql"),
                    params: vec![
                        Box::new(job_id),
                        Box::new(state),
                        Box::new(attempt),
                        Box::new(error),
                    ],
                }
            };
        vec![match &envelope.event {
            SchedulerEvent::JobScheduled {
                job_id,
                tenant_id,
                kind,
                payload,
                run_at,
                max_attempts,
            } => Statement {
                sql: include_str!("../sql/insert_job.sql"),
                params: vec![
                    Box::new(*job_id),
                    Box::new(tenant_id.clone()),
                    Box::new(kind.clone()),
                    Box::new(payload.clone()),
                    Box::new(*run_at),
                    Box::new(*max_attempts),
                ],
            },
            SchedulerEvent::JobSucceeded { job_id, attempt } => {
                finish(*job_id, "done", *attempt, None)
            }
            SchedulerEvent::JobFailed {
                job_id,
                attempt,
                error,
            } => finish(*job_id, "failed", *attempt, Some(error.clone())),
            SchedulerEvent::JobRetried {
                job_id,
                attempt,
                error,
                retry_at,
            } => Statement {
                sql: include_str!("../sql/retry_job.sql"),
                params: vec![
                    Box::new(*job_id),
                    Box::new(*attempt),
                    Box::new(*retry_at),
                    Box::new(error.clone()),
                ],
            },
        }]
    }
}
