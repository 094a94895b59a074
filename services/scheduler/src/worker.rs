//! [`Worker`]: runs due jobs. Any number run at once, in any number of processes: each claims
//! due rows of the queue with `FOR UPDATE SKIP LOCKED` under a lease, only of kinds it has a
//! handler for; a job whose worker died is claimed again once its lease runs out. Before a run
//! the job's aggregate is read, so a job whose outcome is recorded (and only not yet in the
//! queue) is not run again; after it, the outcome is a command on the aggregate, which takes
//! one success or one failure per job.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use plinth_domain_core::{Actor, CommandMetadata, TenantId};
use plinth_infra_event_store::{CommandBus, CommandError};
use plinth_infra_module::{JobError, JobHandler, JobRun, Jobs, Recurring};
use plinth_infra_postgres::Pool;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};
use uuid::Uuid;

use crate::domain::{Job, JobCommand};
use crate::{Error, recurring};

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Names the worker in the queue (`leased_by`).
    pub id: String,
    /// How long a claimed job is the worker's: a run must end within it.
    pub lease: Duration,
    /// How often the queue is looked at when there was nothing to do.
    pub poll: Duration,
    /// At most this many jobs are claimed at a time.
    pub batch: i64,
    /// The wait before the second attempt; it doubles with each further one (at most an hour).
    pub backoff: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            id: format!("worker-{}", Uuid::now_v7()),
            lease: Duration::from_secs(60),
            poll: Duration::from_millis(500),
            batch: 10,
            backoff: Duration::from_secs(5),
        }
    }
}

impl From<&plinth_infra_config::SchedulerSettings> for WorkerSettings {
    /// The configured lease, poll, batch and backoff, under a new worker id.
    fn from(settings: &plinth_infra_config::SchedulerSettings) -> Self {
        Self {
            lease: Duration::from_millis(settings.lease_ms),
            poll: Duration::from_millis(settings.poll_ms),
            batch: settings.batch,
            backoff: Duration::from_millis(settings.backoff_ms),
            ..Self::default()
        }
    }
}

/// Runs the jobs of the kinds it has handlers for.
pub struct Worker {
    read: Pool,
    jobs: CommandBus<Job>,
    handlers: HashMap<&'static str, Arc<dyn JobHandler>>,
    recurring: Vec<Recurring>,
    settings: WorkerSettings,
}

impl Worker {
    /// A worker over the queue in `read` and the jobs' aggregates in `events`, with the
    /// handlers and recurring jobs of every module; two handlers of one kind, or two recurring
    /// jobs of one name, or a cron expression that does not parse, are refused.
    pub fn new(
        read: Pool,
        events: sqlx::PgPool,
        modules: Vec<Jobs>,
        settings: WorkerSettings,
    ) -> Result<Self, Error> {
        let mut handlers = HashMap::new();
        let mut all_recurring: Vec<Recurring> = Vec::new();
        for jobs in modules {
            for (kind, handler) in jobs.handlers {
                if handlers.insert(kind, handler).is_some() {
                    return Err(Error::Config(format!("two handlers for job kind {kind}")));
                }
            }
            for job in jobs.recurring {
                recurring::parse(job.cron)?;
                if all_recurring.iter().any(|r| r.name == job.name) {
                    return Err(Error::Config(format!(
                        "two recurring jobs named {}",
                        job.name
                    )));
                }
                all_recurring.push(job);
            }
        }
        Ok(Self {
            read,
            jobs: CommandBus::new(events, ()),
            handlers,
            recurring: all_recurring,
            settings,
        })
    }

    /// Runs until `shutdown`; a database that cannot be reached is retried.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), Error> {
        let kinds: Vec<String> = self.handlers.keys().map(|k| (*k).to_owned()).collect();
        info!(worker = %self.settings.id, kinds = ?kinds, recurring = self.recurring.len(), "Scheduler worker started.");
        while let Err(e) = recurring::seed(&self.read, &self.recurring).await {
            warn!(error = %e, "Cannot record the recurring jobs yet; retrying.");
            if pause(&shutdown, Duration::from_secs(1)).await {
                return Ok(());
            }
        }
        while !shutdown.is_cancelled() {
            if let Err(e) = recurring::tick(&self.read, &self.jobs).await {
                warn!(error = %e, "Cannot schedule the due recurring jobs; retrying.");
            }
            let claimed = match self.claim(&kinds).await {
                Ok(claimed) => claimed,
                Err(e) => {
                    warn!(error = %e, "Cannot claim jobs; retrying.");
                    Vec::new()
                }
            };
            let idle = claimed.is_empty();
            for (job, max_attempts) in claimed {
                self.run_one(job, max_attempts).await;
            }
            if idle && pause(&shutdown, self.settings.poll).await {
                break;
            }
        }
        info!(worker = %self.settings.id, "Scheduler worker stopped.");
        Ok(())
    }

    async fn claim(&self, kinds: &[String]) -> Result<Vec<(JobRun, i32)>, Error> {
        if kinds.is_empty() {
            return Ok(Vec::new());
        }
        let client = self
            .read
            .get()
            .await
            .map_err(plinth_infra_postgres::Error::from)?;
        let rows = client
            .query(
                include_str!("../sql/claim.sql"),
                &[
                    &self.settings.id,
                    &self.settings.lease.as_secs_f64(),
                    &self.settings.batch,
                    &kinds,
                ],
            )
            .await
            .map_err(plinth_infra_postgres::Error::from)?;
        rows.iter()
            .map(|row| {
                let run = JobRun {
                    job_id: row.get("job_id"),
                    tenant: TenantId::parse(row.get::<_, &str>("tenant_id"))
                        .map_err(|e| Error::Config(e.to_string()))?,
                    kind: row.get("kind"),
                    payload: row.get("payload"),
                    attempt: row.get("attempts"),
                };
                Ok((run, row.get("max_attempts")))
            })
            .collect()
    }

    /// Runs one claimed job and records its outcome; a job claimed more often than its
    /// attempts allow (its workers kept dying) fails without running again.
    async fn run_one(&self, job: JobRun, max_attempts: i32) {
        let id = job.job_id.to_string();
        match self.jobs.load(&id).await {
            Ok(state) if state.is_finished() => {
                debug!(job_id = %job.job_id, "A claimed job has finished already; not run again.");
                return;
            }
            Ok(_) => {}
            Err(e) => {
                warn!(job_id = %job.job_id, error = %e, "Cannot read a claimed job; its lease will run out and it is tried again.");
                return;
            }
        }
        let Some(handler) = self.handlers.get(job.kind.as_str()) else {
            return;
        };
        let outcome = if job.attempt > max_attempts {
            Err(JobError::Fail(format!(
                "its worker stopped during each of its {max_attempts} attempts"
            )))
        } else {
            handler.run(&job).await
        };
        let at = Utc::now();
        let command = match outcome {
            Ok(()) => JobCommand::Succeed {
                attempt: job.attempt,
                at,
            },
            Err(JobError::Retry(error)) => {
                let exponent = u32::try_from(job.attempt - 1).unwrap_or(0).min(16);
                let wait = self
                    .settings
                    .backoff
                    .saturating_mul(2_u32.saturating_pow(exponent))
                    .min(Duration::from_secs(3600));
                warn!(job_id = %job.job_id, kind = job.kind, attempt = job.attempt, error, "A job failed; it is retried if attempts remain.");
                JobCommand::FailAttempt {
                    attempt: job.attempt,
                    error,
                    retry_at: at + chrono::Duration::from_std(wait).unwrap_or_default(),
                    at,
                }
            }
            Err(JobError::Fail(error)) => {
                warn!(job_id = %job.job_id, kind = job.kind, attempt = job.attempt, error, "A job failed for good.");
                JobCommand::Fail {
                    attempt: job.attempt,
                    error,
                    at,
                }
            }
        };
        let metadata = CommandMetadata::new(
            job.tenant.clone(),
            Actor::Service(format!("scheduler {}", self.settings.id)),
            job.job_id,
        );
        match self.jobs.execute(&id, command, &metadata).await {
            Ok(_) | Err(CommandError::Rejected(crate::domain::JobStateError::Finished)) => {}
            Err(e) => {
                warn!(job_id = %job.job_id, error = %e, "Cannot record a job's outcome; its lease will run out and it is tried again.");
            }
        }
    }
}

/// Waits `how_long`; true when `shutdown` came first.
async fn pause(shutdown: &CancellationToken, how_long: Duration) -> bool {
    tokio::select! {
        () = shutdown.cancelled() => true,
        () = tokio::time::sleep(how_long) => false,
    }
}
