//! Background work a module hands the kernel's scheduler: handlers by job kind, recurring jobs
//! from cron expressions, and the [`Schedule`] port handlers use to enqueue a job for later.
//! The scheduler runs each job once in effect across any number of worker processes (leases,
//! retries with backoff, a visible `failed` state); a handler must be idempotent, as a job
//! whose worker died after its effect but before its success was recorded runs again.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use plinth_domain_core::{CommandMetadata, TenantId};
use uuid::Uuid;

/// One run of a job.
#[derive(Debug, Clone)]
pub struct JobRun {
    pub job_id: Uuid,
    pub tenant: TenantId,
    pub kind: String,
    pub payload: serde_json::Value,
    /// 1 for the first run.
    pub attempt: i32,
}

/// Why a run did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Worth another attempt (after a backoff), while attempts remain.
    #[error("{0}")]
    Retry(String),
    /// Never going to succeed: the job fails now.
    #[error("{0}")]
    Fail(String),
}

/// Runs the jobs of one kind.
#[async_trait]
pub trait JobHandler: Send + Sync {
    async fn run(&self, job: &JobRun) -> Result<(), JobError>;
}

/// A job enqueued at every occurrence of a cron expression (five fields, or six with seconds).
#[derive(Debug, Clone)]
pub struct Recurring {
    /// Unique across modules (`blog.digest`).
    pub name: &'static str,
    pub kind: &'static str,
    pub cron: &'static str,
    pub tenant: TenantId,
    pub payload: serde_json::Value,
}

/// A module's handlers and recurring jobs.
#[derive(Default, Clone)]
pub struct Jobs {
    pub handlers: Vec<(&'static str, Arc<dyn JobHandler>)>,
    pub recurring: Vec<Recurring>,
}

impl Jobs {
    /// Runs jobs of `kind` (`blog.publish`) with `handler`.
    #[must_use]
    pub fn handler(mut self, kind: &'static str, handler: Arc<dyn JobHandler>) -> Self {
        self.handlers.push((kind, handler));
        self
    }

    /// Enqueues a job at every occurrence of `recurring.cron`.
    #[must_use]
    pub fn recurring(mut self, recurring: Recurring) -> Self {
        self.recurring.push(recurring);
        self
    }
}

/// A job to run at `run_at`.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    pub tenant: TenantId,
    pub payload: serde_json::Value,
    pub run_at: DateTime<Utc>,
    /// Runs at most this often (a retryable failure of the last one fails the job).
    pub max_attempts: i32,
}

/// A job could not be enqueued.
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot schedule the job: {0}")]
pub struct ScheduleError(pub String);

/// Enqueues jobs; the kernel's scheduler implements it.
#[async_trait]
pub trait Schedule: Send + Sync {
    /// Enqueues `job` as the request `metadata` describes (its actor, its correlation); the
    /// job's id.
    async fn enqueue(&self, job: NewJob, metadata: &CommandMetadata)
    -> Result<Uuid, ScheduleError>;
}
