-- The last committed sequence of an aggregate, and the tenant its last event was written in.
SELECT sequence, metadata ->> 'tenant_id' AS tenant_id
FROM events
WHERE aggregate_type = $1 AND aggregate_id = $2
ORDER BY sequence DESC
LIMIT 1
