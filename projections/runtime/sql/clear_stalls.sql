-- Stalls the projection has got past: it has applied everything it had seen while waiting
-- (the early events it skipped were only stored as offsets, so they must come again too).
DELETE FROM projection_stalls s
USING projection_progress p
WHERE s.projection = $1
  AND p.projection = s.projection AND p.aggregate_type = s.aggregate_type
  AND p.aggregate_id = s.aggregate_id AND p.sequence >= s.seen_sequence
