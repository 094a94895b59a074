INSERT INTO notification_outbox (event_id, kind, user_id, tenant_id)
VALUES ($1, $2, $3, $4)
ON CONFLICT (event_id) DO NOTHING
