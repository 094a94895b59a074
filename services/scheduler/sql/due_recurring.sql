SELECT name, kind, cron, tenant_id, payload::text, next_run_at
FROM scheduler_recurring
WHERE next_run_at <= now()
FOR UPDATE SKIP LOCKED
