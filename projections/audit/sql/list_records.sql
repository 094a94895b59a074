-- Newest first; $9 is the position the previous page ended at.
SELECT *
FROM audit_records_v1
WHERE tenant_id = $1
  AND ($2::text IS NULL OR actor = $2)
  AND ($3::text IS NULL OR action = $3)
  AND ($4::text IS NULL OR target_type = $4)
  AND ($5::text IS NULL OR target_id = $5)
  AND ($6::text IS NULL OR outcome = $6)
  AND ($7::timestamptz IS NULL OR at >= $7)
  AND ($8::timestamptz IS NULL OR at <= $8)
  AND ($9::bigint IS NULL OR position < $9)
ORDER BY position DESC
LIMIT $10
