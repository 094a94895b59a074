-- Events the relay has published (up to $1, $2) at least 30 s ago that no audit record holds.
SELECT count(*)
FROM events e
WHERE e.aggregate_type NOT LIKE 'audit.%'
  AND e.recorded_at < now() - interval '30 seconds'
  AND (e.transaction_id, e.position) <= ($1::text::xid8, $2)
  AND NOT EXISTS (
        SELECT 1 FROM events t
        WHERE t.aggregate_type = 'audit.trail'
          AND (t.payload -> 'RecordAppended' ->> 'source_event_id') = e.event_id::text)
