-- $3: seconds until the next attempt; NULL: give up for good. Typed explicitly: the sender binds
-- an optional float, and an untyped `coalesce($3, 0)` would make Postgres expect an integer.
UPDATE notification_outbox
SET leased_until = NULL,
    last_error = $4,
    next_attempt_at = now() + make_interval(secs => coalesce($3::double precision, 0)),
    failed_at = CASE WHEN $3::double precision IS NULL THEN now() END
WHERE event_id = $1 AND lease_id = $2
