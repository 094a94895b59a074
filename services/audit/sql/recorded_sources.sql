SELECT payload -> 'RecordAppended' ->> 'source_event_id'
FROM events
WHERE aggregate_type = 'audit.trail'
  AND (payload -> 'RecordAppended' ->> 'source_event_id') = ANY ($1)
