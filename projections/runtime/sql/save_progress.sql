INSERT INTO projection_progress (projection, aggregate_type, aggregate_id, sequence)
VALUES ($1, $2, $3, $4)
ON CONFLICT (projection, aggregate_type, aggregate_id) DO UPDATE SET sequence = excluded.sequence
