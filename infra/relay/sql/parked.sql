SELECT position, event_id, aggregate_type, aggregate_id, sequence, event_type, reason, parked_at,
       action, requested_at
FROM relay_parked
ORDER BY aggregate_type, aggregate_id, sequence
