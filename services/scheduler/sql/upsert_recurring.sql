INSERT INTO scheduler_recurring (name, kind, cron, tenant_id, payload, next_run_at)
VALUES ($1, $2, $3, $4, $5::text::jsonb, $6)
ON CONFLICT (name) DO UPDATE
SET kind = EXCLUDED.kind, tenant_id = EXCLUDED.tenant_id, payload = EXCLUDED.payload,
    next_run_at = CASE WHEN scheduler_recurring.cron = EXCLUDED.cron
                       THEN scheduler_recurring.next_run_at ELSE EXCLUDED.next_run_at END,
    cron = EXCLUDED.cron
