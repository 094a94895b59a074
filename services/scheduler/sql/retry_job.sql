-- Only the attempt that failed goes back to waiting: a later claim is not undone.
UPDATE scheduler_jobs_v1
SET state = 'pending', run_at = $3, last_error = $4, lease_until = NULL, updated_at = now()
WHERE job_id = $1 AND state = 'running' AND attempts = $2
