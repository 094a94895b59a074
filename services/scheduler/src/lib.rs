//! The scheduler: a kernel service modules hand background work to. A job is an
//! event-sourced aggregate (`scheduler.job`, `domain.rs`), so enqueueing is a committed command
//! ([`Scheduler`], the `Schedule` port) and every outcome is audited like everything else; the
//! queue is a read model of those events (`projection.rs`), and [`Worker`]s (`worker.rs`)
//! claim due jobs from it with `FOR UPDATE SKIP LOCKED` under leases — each job runs once in
//! effect across any number of worker processes, retried with backoff, and ends visibly
//! `failed` after its attempts. Recurring jobs come from cron expressions (`recurring.rs`,
//! [croner](https://crates.io/crates/croner)).

pub mod domain;
mod events;
mod projection;
mod recurring;
mod schedule;
mod worker;

include!(concat!(env!("OUT_DIR"), "/manifest.rs"));

use std::sync::Arc;

use plinth_infra_module::{DynProjection, EventSet, Manifest, Migration, Migrations, Module};

pub use events::{EVENTS, SchedulerEvent};
pub use projection::{JobsProjection, NAME as PROJECTION};
pub use schedule::Scheduler;
pub use worker::{Worker, WorkerSettings};

/// The recurring jobs' table.
pub const MIGRATIONS: Migrations = Migrations {
    component: "scheduler",
    steps: &[Migration {
        version: 1,
        name: "scheduler_recurring",
        sql: include_str!("../migrations/0001_scheduler_recurring.sql"),
    }],
};

/// What can stop the scheduler.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the scheduler's configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Postgres(#[from] plinth_infra_postgres::Error),
    #[error("the event store: {0}")]
    Store(String),
}

/// The scheduler, as the composition root registers it.
#[derive(Debug, Clone, Copy, Default)]
pub struct SchedulerModule;

impl Module for SchedulerModule {
    fn manifest(&self) -> &'static Manifest {
        &MANIFEST
    }

    fn migrations(&self) -> Vec<Migrations> {
        vec![MIGRATIONS]
    }

    fn events(&self) -> Option<&'static EventSet> {
        Some(&EVENTS)
    }

    fn projections(&self) -> Vec<Arc<dyn DynProjection>> {
        vec![Arc::new(JobsProjection)]
    }
}
