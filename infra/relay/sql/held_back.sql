-- Committed events after the cursor that the global order cannot hand out yet: their
-- transaction is not older than every running one.
SELECT count(*)
FROM events
WHERE (transaction_id, position) > ($1::text::xid8, $2)
  AND transaction_id >= pg_snapshot_xmin(pg_current_snapshot())
