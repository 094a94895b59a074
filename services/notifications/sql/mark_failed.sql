-- $3: seconds until the next attempt; NULL: give up for good.
UPDATE notification_outbox
SET leased_until = NULL,
    last_error = $4,
    next_attempt_at = now() + make_interval(secs => coalesce($3, 0)),
    failed_at = CASE WHEN $3 IS NULL THEN now() END
WHERE event_id = $1 AND lease_id = $2
