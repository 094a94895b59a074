-- A tenant's latest checkpoint.
SELECT payload::text
FROM events
WHERE aggregate_type = 'audit.checkpoint' AND aggregate_id = $1
ORDER BY sequence DESC
LIMIT 1
