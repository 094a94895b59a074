UPDATE scheduler_jobs_v1
SET state = $2, attempts = GREATEST(attempts, $3), last_error = $4, lease_until = NULL,
    updated_at = now()
WHERE job_id = $1
