SELECT aggregate_id, sequence, payload
FROM events
WHERE aggregate_type = 'audit.checkpoint'
ORDER BY aggregate_id, sequence
