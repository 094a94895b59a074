//! [`Scheduler`]: the [`Schedule`] port modules enqueue jobs through — a command on the job's
//! aggregate, so the job exists from the moment it is committed, and is audited.

use async_trait::async_trait;
use chrono::Utc;
use plinth_domain_core::CommandMetadata;
use plinth_infra_event_store::CommandBus;
use plinth_infra_module::{NewJob, Schedule, ScheduleError};
use uuid::Uuid;

use crate::domain::{Job, JobCommand};

/// Enqueues jobs on the event store.
pub struct Scheduler {
    jobs: CommandBus<Job>,
}

impl Scheduler {
    pub fn new(events: sqlx::PgPool) -> Self {
        Self {
            jobs: CommandBus::new(events, ()),
        }
    }

    /// Schedules the job `job_id` (a recurring occurrence's id is derived, so scheduling it
    /// twice is refused as existing).
    pub(crate) async fn schedule(
        jobs: &CommandBus<Job>,
        job_id: Uuid,
        job: NewJob,
        metadata: &CommandMetadata,
    ) -> Result<(), plinth_infra_event_store::CommandError<crate::domain::JobStateError>> {
        let command = JobCommand::Schedule {
            job_id,
            tenant_id: job.tenant,
            kind: job.kind,
            payload: job.payload,
            run_at: job.run_at,
            max_attempts: job.max_attempts,
            at: Utc::now(),
        };
        jobs.execute(&job_id.to_string(), command, metadata)
            .await
            .map(drop)
    }
}

#[async_trait]
impl Schedule for Scheduler {
    async fn enqueue(
        &self,
        job: NewJob,
        metadata: &CommandMetadata,
    ) -> Result<Uuid, ScheduleError> {
        let job_id = Uuid::now_v7();
        let mut metadata = metadata.clone();
        metadata.tenant_id = job.tenant.clone();
        Self::schedule(&self.jobs, job_id, job, &metadata)
            .await
            .map_err(|e| ScheduleError(e.to_string()))?;
        Ok(job_id)
    }
}
