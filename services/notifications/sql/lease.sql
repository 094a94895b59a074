-- Takes up to $1 due mails for $2 seconds under lease $3. One short statement: no transaction
-- stays open while mail is being sent.
UPDATE notification_outbox
SET leased_until = now() + make_interval(secs => $2), lease_id = $3, attempts = attempts + 1
WHERE event_id IN (
    SELECT event_id FROM notification_outbox
    WHERE sent_at IS NULL
      AND failed_at IS NULL
      AND next_attempt_at <= now()
      AND (leased_until IS NULL OR leased_until < now())
    ORDER BY queued_at
    LIMIT $1
    FOR UPDATE SKIP LOCKED)
RETURNING event_id, kind, user_id, tenant_id, attempts
