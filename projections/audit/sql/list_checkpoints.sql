-- Newest first; $2 is the position the previous page ended at.
SELECT *
FROM audit_checkpoints_v1
WHERE tenant_id = $1
  AND ($2::bigint IS NULL OR position < $2)
ORDER BY position DESC
LIMIT $3
