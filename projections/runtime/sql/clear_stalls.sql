-- Stalls the projection has got past.
DELETE FROM projection_stalls s
USING projection_progress p
WHERE s.projection = $1
  AND p.projection = s.projection AND p.aggregate_type = s.aggregate_type
  AND p.aggregate_id = s.aggregate_id AND p.sequence >= s.waiting_for
