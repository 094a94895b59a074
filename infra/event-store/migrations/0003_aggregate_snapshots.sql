-- Snapshots taken at commit boundaries (src/snapshots.rs). postgres-es's `snapshots` table could
-- hold a state older than its `last_sequence` (a commit that crossed a snapshot boundary), so it
-- is dropped with what it holds; aggregates load from their events until their next snapshot.
DROP TABLE snapshots;

CREATE TABLE aggregate_snapshots
(
    aggregate_type text        NOT NULL,
    aggregate_id   text        NOT NULL,
    -- The last sequence of the commit whose resulting state `payload` is.
    sequence       bigint      NOT NULL CHECK (sequence > 0),
    payload        jsonb       NOT NULL,
    taken_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (aggregate_type, aggregate_id)
);
