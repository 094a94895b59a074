SELECT sequence, payload -> 'RecordAppended' ->> 'hash'
FROM events
WHERE aggregate_type = 'audit.trail' AND aggregate_id = $1
ORDER BY sequence DESC
LIMIT 1
