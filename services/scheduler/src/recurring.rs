//! Recurring jobs: each declared job is recorded with its next occurrence; whichever worker
//! finds an occurrence due schedules it — under a row lock, with a job id derived from the
//! name and the occurrence, so an occurrence is scheduled once however many workers look —
//! and moves the job on to its next occurrence.

use std::str::FromStr as _;

use chrono::{DateTime, Utc};
use croner::Cron;
use plinth_domain_core::{Actor, CommandMetadata, TenantId};
use plinth_infra_event_store::{CommandBus, CommandError};
use plinth_infra_module::{NewJob, Recurring};
use plinth_infra_postgres::Pool;
use uuid::Uuid;

use crate::domain::{Job, JobStateError};
use crate::{Error, Scheduler};

/// Names the ids of recurring occurrences.
const OCCURRENCES: Uuid = Uuid::from_u128(0x706c_696e_7468_0000_7363_6865_6475_6c65);

/// A cron expression: five fields, or six with seconds first.
pub(crate) fn parse(cron: &str) -> Result<Cron, Error> {
    Cron::from_str(cron).map_err(|e| Error::Config(format!("cron expression {cron:?}: {e}")))
}

/// The first occurrence of `cron` after `after`.
fn next(cron: &str, after: DateTime<Utc>) -> Result<DateTime<Utc>, Error> {
    parse(cron)?
        .find_next_occurrence(&after, false)
        .map_err(|e| Error::Config(format!("cron expression {cron:?}: {e}")))
}

/// Records the declared recurring jobs (a changed expression starts from its next occurrence).
pub(crate) async fn seed(read: &Pool, recurring: &[Recurring]) -> Result<(), Error> {
    let client = read
        .get()
        .await
        .map_err(plinth_infra_postgres::Error::from)?;
    for job in recurring {
        let first = next(job.cron, Utc::now())?;
        client
            .execute(
                include_str!("../sql/upsert_recurring.sql"),
                &[
                    &job.name,
                    &job.kind,
                    &job.cron,
                    &job.tenant.as_str(),
                    &job.payload.to_string(),
                    &first,
                ],
            )
            .await
            .map_err(plinth_infra_postgres::Error::from)?;
    }
    Ok(())
}

/// Schedules every due occurrence and moves its job on.
pub(crate) async fn tick(read: &Pool, jobs: &CommandBus<Job>) -> Result<(), Error> {
    let mut client = read
        .get()
        .await
        .map_err(plinth_infra_postgres::Error::from)?;
    let tx = client
        .transaction()
        .await
        .map_err(plinth_infra_postgres::Error::from)?;
    let due = tx
        .query(include_str!("../sql/due_recurring.sql"), &[])
        .await
        .map_err(plinth_infra_postgres::Error::from)?;
    for row in &due {
        let (name, cron): (String, String) = (row.get("name"), row.get("cron"));
        let occurrence: DateTime<Utc> = row.get("next_run_at");
        let tenant = TenantId::parse(row.get::<_, &str>("tenant_id"))
            .map_err(|e| Error::Config(e.to_string()))?;
        let payload: String = row.get("payload");
        let job_id = Uuid::new_v5(
            &OCCURRENCES,
            format!("{name}@{}", occurrence.timestamp_micros()).as_bytes(),
        );
        let job = NewJob {
            kind: row.get("kind"),
            tenant: tenant.clone(),
            payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
            run_at: occurrence,
            max_attempts: 3,
        };
        let metadata = CommandMetadata::new(
            tenant,
            Actor::Service(format!("scheduler recurring {name}")),
            job_id,
        );
        match Scheduler::schedule(jobs, job_id, job, &metadata).await {
            Ok(()) | Err(CommandError::Rejected(JobStateError::Exists)) => {}
            Err(e) => return Err(Error::Store(e.to_string())),
        }
        let following = next(&cron, Utc::now().max(occurrence))?;
        tx.execute(
            include_str!("../sql/advance_recurring.sql"),
            &[&name, &following],
        )
        .await
        .map_err(plinth_infra_postgres::Error::from)?;
    }
    tx.commit()
        .await
        .map_err(plinth_infra_postgres::Error::from)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn the_next_occurrence_follows_the_expression_and_a_bad_one_is_refused() {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 30).unwrap();
        assert_eq!(
            next("*/5 * * * *", at).unwrap(),
            Utc.with_ymd_and_hms(2026, 12, 1, 12, 5, 0).unwrap()
        );
        assert_eq!(
            next("*/10 * * * * *", at).unwrap(),
            Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 40).unwrap(),
            "six fields: seconds first"
        );
        assert!(parse("every tuesday").is_err());
    }
}
