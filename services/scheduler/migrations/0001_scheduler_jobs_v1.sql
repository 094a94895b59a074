-- The job queue: a read model of the scheduler.job topic (rows come from JobScheduled, state
-- changes from each outcome event); workers claim due rows with FOR UPDATE SKIP LOCKED and
-- hold them under a lease.
CREATE TABLE scheduler_jobs_v1 (
    job_id uuid PRIMARY KEY,
    tenant_id text NOT NULL,
    kind text NOT NULL,
    payload jsonb NOT NULL,
    run_at timestamptz NOT NULL,
    max_attempts integer NOT NULL,
    -- pending | running | done | failed
    state text NOT NULL DEFAULT 'pending',
    attempts integer NOT NULL DEFAULT 0,
    lease_until timestamptz,
    leased_by text,
    last_error text,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX scheduler_jobs_v1_due ON scheduler_jobs_v1 (run_at) WHERE state IN ('pending', 'running');
