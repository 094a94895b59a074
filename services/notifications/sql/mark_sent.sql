UPDATE notification_outbox SET sent_at = now(), leased_until = NULL, last_error = NULL
WHERE event_id = $1 AND lease_id = $2
