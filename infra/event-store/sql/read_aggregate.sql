-- An aggregate's committed events from sequence $3 on, in sequence order (at most $4).
SELECT transaction_id::text AS transaction_id, position, event_id, aggregate_type, aggregate_id,
       sequence, event_type, event_version, payload::text AS payload, metadata::text AS metadata,
       recorded_at
FROM events
WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence >= $3
ORDER BY sequence
LIMIT $4
