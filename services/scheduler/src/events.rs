//! The scheduler's published events (`plinth.scheduler.job`): each job's scheduling and each
//! attempt's outcome, so jobs are audited like everything else.

use apache_avro::types::Value;
use chrono::{DateTime, Utc};
use plinth_schemas::{
    DecodeEvent, Error, EventSchema, EventSet, Fields, Result, event_schema, micros, payload,
    record,
};
use uuid::Uuid;

use crate::domain::JobEvent;

macro_rules! job {
    ($event:literal) => {
        event_schema!(
            "scheduler.job",
            $event,
            concat!("plinth.scheduler.", $event),
            concat!("avro/", $event, ".avsc")
        )
    };
}

static SCHEMAS: [EventSchema; 4] = [
    job!("JobScheduled"),
    job!("JobSucceeded"),
    job!("JobRetried"),
    job!("JobFailed"),
];

/// The scheduler's published events.
pub static EVENTS: EventSet = EventSet {
    module: "scheduler",
    schemas: &SCHEMAS,
    encode,
};

fn encode(schema: &'static EventSchema, json: &serde_json::Value) -> Result<Value> {
    let head = |job_id: Uuid, tenant: &plinth_domain_core::TenantId| {
        vec![
            ("job_id", Value::Uuid(job_id)),
            ("tenant_id", Value::String(tenant.to_string())),
        ]
    };
    let mut fields;
    match payload::<JobEvent>(schema.event_type, json)? {
        JobEvent::JobScheduled {
            job_id,
            tenant_id,
            kind,
            payload,
            run_at,
            max_attempts,
            at,
        } => {
            fields = head(job_id, &tenant_id);
            fields.extend([
                ("kind", Value::String(kind)),
                ("payload", Value::String(payload)),
                ("run_at", micros(run_at)),
                ("max_attempts", Value::Int(max_attempts)),
                ("at", micros(at)),
            ]);
        }
        JobEvent::JobSucceeded {
            job_id,
            tenant_id,
            attempt,
            at,
        } => {
            fields = head(job_id, &tenant_id);
            fields.extend([("attempt", Value::Int(attempt)), ("at", micros(at))]);
        }
        JobEvent::JobRetried {
            job_id,
            tenant_id,
            attempt,
            error,
            retry_at,
            at,
        } => {
            fields = head(job_id, &tenant_id);
            fields.extend([
                ("attempt", Value::Int(attempt)),
                ("error", Value::String(error)),
                ("retry_at", micros(retry_at)),
                ("at", micros(at)),
            ]);
        }
        JobEvent::JobFailed {
            job_id,
            tenant_id,
            attempt,
            error,
            at,
        } => {
            fields = head(job_id, &tenant_id);
            fields.extend([
                ("attempt", Value::Int(attempt)),
                ("error", Value::String(error)),
                ("at", micros(at)),
            ]);
        }
    }
    Ok(record(fields))
}

/// A job's events, as a consumer decodes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchedulerEvent {
    JobScheduled {
        job_id: Uuid,
        tenant_id: String,
        kind: String,
        payload: String,
        run_at: DateTime<Utc>,
        max_attempts: i32,
    },
    JobSucceeded {
        job_id: Uuid,
        attempt: i32,
    },
    JobRetried {
        job_id: Uuid,
        attempt: i32,
        error: String,
        retry_at: DateTime<Utc>,
    },
    JobFailed {
        job_id: Uuid,
        attempt: i32,
        error: String,
    },
}

impl DecodeEvent for SchedulerEvent {
    fn decode(record_name: &str, value: Value) -> Result<Self> {
        let schema = EVENTS
            .schema_for_record(record_name)
            .ok_or_else(|| Error::UnknownRecord(record_name.to_owned()))?;
        let f = Fields::new(schema.record_name, value)?;
        let job_id = f.uuid("job_id")?;
        Ok(match schema.event_type {
            "JobScheduled" => Self::JobScheduled {
                job_id,
                tenant_id: f.string("tenant_id")?,
                kind: f.string("kind")?,
                payload: f.string("payload")?,
                run_at: f.time("run_at")?,
                max_attempts: f.int("max_attempts")?,
            },
            "JobSucceeded" => Self::JobSucceeded {
                job_id,
                attempt: f.int("attempt")?,
            },
            "JobRetried" => Self::JobRetried {
                job_id,
                attempt: f.int("attempt")?,
                error: f.string("error")?,
                retry_at: f.time("retry_at")?,
            },
            _ => Self::JobFailed {
                job_id,
                attempt: f.int("attempt")?,
                error: f.string("error")?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn the_scheduler_schemas_are_locked_and_compatible_with_their_previous_versions() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("avro");
        if let Err(problems) = plinth_schemas::check_published(&SCHEMAS, &dir) {
            panic!("{}", problems.join("\n"));
        }
    }
}
