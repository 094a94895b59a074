-- A trail's records in order; optionally one tenant's, and only those that happened in [since, until].
SELECT aggregate_id, sequence, payload
FROM events
WHERE aggregate_type = 'audit.trail'
  AND ($1::text IS NULL OR aggregate_id = $1)
  AND ($2::timestamptz IS NULL OR (payload -> 'RecordAppended' ->> 'at')::timestamptz >= $2)
  AND ($3::timestamptz IS NULL OR (payload -> 'RecordAppended' ->> 'at')::timestamptz <= $3)
ORDER BY aggregate_id, sequence
