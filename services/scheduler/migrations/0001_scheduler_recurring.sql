-- Recurring jobs: each occurrence is scheduled once (its job id is derived from the name and
-- the occurrence), whichever worker gets there first.
CREATE TABLE scheduler_recurring (
    name text PRIMARY KEY,
    kind text NOT NULL,
    cron text NOT NULL,
    tenant_id text NOT NULL,
    payload jsonb NOT NULL,
    next_run_at timestamptz NOT NULL
);
