-- Exactly-once recording: a source event appears in at most one audit record, in any trail.
-- The trail's records are events of the `audit.trail` aggregate; this index makes a second
-- record of the same source event fail its commit.
CREATE UNIQUE INDEX events_audit_source
    ON events ((payload -> 'RecordAppended' ->> 'source_event_id'))
    WHERE aggregate_type = 'audit.trail';
