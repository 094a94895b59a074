-- Every binding ever made for subject $1, in any tenant, with its last committed sequence.
SELECT b.aggregate_id, max(e.sequence) AS sequence
FROM events b
JOIN events e ON e.aggregate_type = 'authz.binding' AND e.aggregate_id = b.aggregate_id
WHERE b.aggregate_type = 'authz.binding'
  AND (b.payload -> 'SubjectBound' ->> 'subject') = $1
GROUP BY b.aggregate_id
