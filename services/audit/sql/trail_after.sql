-- A tenant's records after a position, in order.
SELECT payload::text
FROM events
WHERE aggregate_type = 'audit.trail' AND aggregate_id = $1 AND sequence > $2
ORDER BY sequence
