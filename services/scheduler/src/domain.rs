//! The `Job` aggregate (`scheduler.job`): scheduled once, then each attempt's outcome — retried
//! with a time to try again, succeeded, or failed for good. A finished job refuses every later
//! outcome, so however many workers ran it, one success (or one failure) is recorded.

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use plinth_domain_core::{TenantId, UniqueClaim, UniqueClaims};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub enum JobCommand {
    Schedule {
        job_id: Uuid,
        tenant_id: TenantId,
        kind: String,
        payload: serde_json::Value,
        run_at: DateTime<Utc>,
        max_attempts: i32,
        at: DateTime<Utc>,
    },
    Succeed {
        attempt: i32,
        at: DateTime<Utc>,
    },
    /// A retryable failure: tried again at `retry_at`, or failed for good when it was the
    /// last attempt allowed.
    FailAttempt {
        attempt: i32,
        error: String,
        retry_at: DateTime<Utc>,
        at: DateTime<Utc>,
    },
    /// A permanent failure.
    Fail {
        attempt: i32,
        error: String,
        at: DateTime<Utc>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobEvent {
    JobScheduled {
        job_id: Uuid,
        tenant_id: TenantId,
        kind: String,
        /// The payload as JSON text.
        payload: String,
        run_at: DateTime<Utc>,
        max_attempts: i32,
        at: DateTime<Utc>,
    },
    JobSucceeded {
        job_id: Uuid,
        tenant_id: TenantId,
        attempt: i32,
        at: DateTime<Utc>,
    },
    JobRetried {
        job_id: Uuid,
        tenant_id: TenantId,
        attempt: i32,
        error: String,
        retry_at: DateTime<Utc>,
        at: DateTime<Utc>,
    },
    JobFailed {
        job_id: Uuid,
        tenant_id: TenantId,
        attempt: i32,
        error: String,
        at: DateTime<Utc>,
    },
}

impl DomainEvent for JobEvent {
    fn event_type(&self) -> String {
        match self {
            Self::JobScheduled { .. } => "JobScheduled",
            Self::JobSucceeded { .. } => "JobSucceeded",
            Self::JobRetried { .. } => "JobRetried",
            Self::JobFailed { .. } => "JobFailed",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

impl UniqueClaims for JobEvent {
    fn unique_claims(&self) -> Vec<UniqueClaim> {
        Vec::new()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobStateError {
    #[error("the job is scheduled already")]
    Exists,
    #[error("no such job")]
    NotFound,
    #[error("the job has finished")]
    Finished,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    scheduled: Option<(Uuid, TenantId, i32)>,
    finished: bool,
}

impl Job {
    /// Whether it succeeded or failed for good.
    pub fn is_finished(&self) -> bool {
        self.finished
    }
}

impl Aggregate for Job {
    const TYPE: &'static str = "scheduler.job";
    type Command = JobCommand;
    type Event = JobEvent;
    type Error = JobStateError;
    type Services = ();

    async fn handle(
        &mut self,
        command: JobCommand,
        (): &(),
        sink: &EventSink<Self>,
    ) -> Result<(), JobStateError> {
        if let JobCommand::Schedule {
            job_id,
            tenant_id,
            kind,
            payload,
            run_at,
            max_attempts,
            at,
        } = command
        {
            if self.scheduled.is_some() {
                return Err(JobStateError::Exists);
            }
            let event = JobEvent::JobScheduled {
                job_id,
                tenant_id,
                kind,
                payload: payload.to_string(),
                run_at,
                max_attempts: max_attempts.max(1),
                at,
            };
            sink.write(event, self).await;
            return Ok(());
        }
        let (job_id, tenant_id, max_attempts) =
            self.scheduled.clone().ok_or(JobStateError::NotFound)?;
        if self.finished {
            return Err(JobStateError::Finished);
        }
        let event = match command {
            JobCommand::Schedule { .. } => unreachable!("handled above"),
            JobCommand::Succeed { attempt, at } => JobEvent::JobSucceeded {
                job_id,
                tenant_id,
                attempt,
                at,
            },
            JobCommand::FailAttempt {
                attempt,
                error,
                retry_at,
                at,
            } if attempt < max_attempts => JobEvent::JobRetried {
                job_id,
                tenant_id,
                attempt,
                error,
                retry_at,
                at,
            },
            JobCommand::FailAttempt {
                attempt, error, at, ..
            }
            | JobCommand::Fail { attempt, error, at } => JobEvent::JobFailed {
                job_id,
                tenant_id,
                attempt,
                error,
                at,
            },
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: JobEvent) {
        match event {
            JobEvent::JobScheduled {
                job_id,
                tenant_id,
                max_attempts,
                ..
            } => self.scheduled = Some((job_id, tenant_id, max_attempts)),
            JobEvent::JobSucceeded { .. } | JobEvent::JobFailed { .. } => self.finished = true,
            JobEvent::JobRetried { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use cqrs_es::test::TestFramework;

    use super::*;

    fn noon() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()
    }

    fn scheduled() -> JobEvent {
        JobEvent::JobScheduled {
            job_id: Uuid::from_u128(1),
            tenant_id: TenantId::default(),
            kind: "test.echo".into(),
            payload: "{}".into(),
            run_at: noon(),
            max_attempts: 2,
            at: noon(),
        }
    }

    fn jobs() -> TestFramework<Job> {
        TestFramework::with(())
    }

    #[tokio::test]
    async fn a_finished_job_refuses_a_second_outcome() {
        jobs()
            .given(vec![scheduled()])
            .when_async(JobCommand::Succeed {
                attempt: 1,
                at: noon(),
            })
            .await
            .then_expect_events(vec![JobEvent::JobSucceeded {
                job_id: Uuid::from_u128(1),
                tenant_id: TenantId::default(),
                attempt: 1,
                at: noon(),
            }]);
        let succeeded = JobEvent::JobSucceeded {
            job_id: Uuid::from_u128(1),
            tenant_id: TenantId::default(),
            attempt: 1,
            at: noon(),
        };
        jobs()
            .given(vec![scheduled(), succeeded])
            .when_async(JobCommand::Succeed {
                attempt: 2,
                at: noon(),
            })
            .await
            .then_expect_error(JobStateError::Finished);
    }

    #[tokio::test]
    async fn a_retryable_failure_of_the_last_attempt_fails_the_job() {
        let fail = |attempt| JobCommand::FailAttempt {
            attempt,
            error: "boom".into(),
            retry_at: noon(),
            at: noon(),
        };
        jobs()
            .given(vec![scheduled()])
            .when_async(fail(1))
            .await
            .then_expect_events(vec![JobEvent::JobRetried {
                job_id: Uuid::from_u128(1),
                tenant_id: TenantId::default(),
                attempt: 1,
                error: "boom".into(),
                retry_at: noon(),
                at: noon(),
            }]);
        jobs()
            .given(vec![scheduled()])
            .when_async(fail(2))
            .await
            .then_expect_events(vec![JobEvent::JobFailed {
                job_id: Uuid::from_u128(1),
                tenant_id: TenantId::default(),
                attempt: 2,
                error: "boom".into(),
                at: noon(),
            }]);
    }
}
