-- Events of transactions that can no longer be joined by an earlier-numbered commit: every
-- transaction id below the snapshot's xmin has finished. Ordered by (transaction_id, position),
-- a total order in which nothing can appear later below the cursor.
SELECT transaction_id::text AS transaction_id, position, event_id, aggregate_type, aggregate_id,
       sequence, event_type, event_version, payload::text AS payload, metadata::text AS metadata,
       recorded_at
FROM events
WHERE (transaction_id, position) > ($1::text::xid8, $2)
  AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY transaction_id, position
LIMIT $3
