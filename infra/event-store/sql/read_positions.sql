-- Committed events at the given positions, by position.
SELECT transaction_id::text AS transaction_id, position, event_id, aggregate_type, aggregate_id,
       sequence, event_type, event_version, payload::text AS payload, metadata::text AS metadata,
       recorded_at
FROM events
WHERE position = ANY($1)
ORDER BY position
