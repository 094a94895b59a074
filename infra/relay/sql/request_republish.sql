-- The earliest sequence anyone asked for wins.
INSERT INTO relay_republish (aggregate_type, aggregate_id, from_sequence, requested_by)
VALUES ($1, $2, $3, $4)
ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE
    SET from_sequence = least(relay_republish.from_sequence, excluded.from_sequence),
        requested_by  = excluded.requested_by,
        requested_at  = now()
