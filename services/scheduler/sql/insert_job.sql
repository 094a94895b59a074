INSERT INTO scheduler_jobs_v1 (job_id, tenant_id, kind, payload, run_at, max_attempts)
VALUES ($1, $2, $3, $4::text::jsonb, $5, $6)
ON CONFLICT (job_id) DO NOTHING
