INSERT INTO relay_parked (position, event_id, aggregate_type, aggregate_id, sequence, event_type, reason)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (position) DO NOTHING
