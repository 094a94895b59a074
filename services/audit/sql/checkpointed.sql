SELECT DISTINCT ON (aggregate_id) aggregate_id,
       (payload -> 'CheckpointSigned' ->> 'position')::bigint
FROM events
WHERE aggregate_type = 'audit.checkpoint'
ORDER BY aggregate_id, sequence DESC
