UPDATE notification_outbox
SET leased_until = NULL, last_error = $2, next_attempt_at = now() + make_interval(secs => $3)
WHERE event_id = $1
