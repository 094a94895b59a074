-- Due jobs, and running ones whose lease ran out (their worker died), for this worker.
UPDATE scheduler_jobs_v1 AS j
SET state = 'running', attempts = j.attempts + 1, lease_until = now() + make_interval(secs => $2),
    leased_by = $1, updated_at = now()
FROM (
    SELECT job_id FROM scheduler_jobs_v1
    WHERE kind = ANY($4::text[])
      AND ((state = 'pending' AND run_at <= now()) OR (state = 'running' AND lease_until < now()))
    ORDER BY run_at
    LIMIT $3
    FOR UPDATE SKIP LOCKED
) AS due
WHERE j.job_id = due.job_id
RETURNING j.job_id, j.tenant_id, j.kind, j.payload, j.attempts, j.max_attempts
