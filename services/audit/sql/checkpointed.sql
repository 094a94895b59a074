-- Each tenant's latest checkpoint.
SELECT DISTINCT ON (aggregate_id) aggregate_id, payload::text
FROM events
WHERE aggregate_type = 'audit.checkpoint'
ORDER BY aggregate_id, sequence DESC
