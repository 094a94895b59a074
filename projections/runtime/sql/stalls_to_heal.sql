-- Stalls older than $2 seconds whose aggregate was not asked for again in the last $3 seconds;
-- marked as asked now.
UPDATE projection_stalls
SET republish_requested_at = now()
WHERE projection = $1
  AND first_seen < now() - make_interval(secs => $2)
  AND (republish_requested_at IS NULL OR republish_requested_at < now() - make_interval(secs => $3))
RETURNING aggregate_type, aggregate_id, waiting_for, seen_sequence, reason, first_seen
