INSERT INTO projection_stalls (projection, aggregate_type, aggregate_id, waiting_for, seen_sequence, reason)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (projection, aggregate_type, aggregate_id) DO UPDATE
    SET waiting_for   = excluded.waiting_for,
        seen_sequence = greatest(projection_stalls.seen_sequence, excluded.seen_sequence),
        reason        = excluded.reason,
        last_seen     = now()
