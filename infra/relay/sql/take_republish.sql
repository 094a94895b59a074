-- Up to $1 requests, oldest first; each is deleted once served.
SELECT aggregate_type, aggregate_id, from_sequence, requested_by
FROM relay_republish
ORDER BY requested_at
LIMIT $1
