-- Never moves backwards: a slower writer of an older state loses.
INSERT INTO aggregate_snapshots (aggregate_type, aggregate_id, sequence, payload)
VALUES ($1, $2, $3, $4)
ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE
    SET sequence = excluded.sequence, payload = excluded.payload, taken_at = now()
    WHERE aggregate_snapshots.sequence < excluded.sequence
