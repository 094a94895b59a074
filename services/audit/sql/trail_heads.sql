SELECT aggregate_id, max(sequence)
FROM events
WHERE aggregate_type = 'audit.trail'
GROUP BY aggregate_id
