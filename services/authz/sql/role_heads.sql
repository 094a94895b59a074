-- The last committed sequence of each role in $1.
SELECT aggregate_id, max(sequence) AS sequence
FROM events
WHERE aggregate_type = 'authz.role' AND aggregate_id = ANY($1)
GROUP BY aggregate_id
