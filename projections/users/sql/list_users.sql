-- $1 tenant, $2 search pattern (ILIKE, already escaped) or NULL, $3 cursor (last id seen) or
-- NULL, $4 limit.
SELECT user_id, tenant_id, email, display_name, created_at, version,
       email_verified, disabled, administrator
FROM users_v1
WHERE tenant_id = $1
  AND ($2::text IS NULL OR email ILIKE $2 OR display_name ILIKE $2)
  AND ($3::uuid IS NULL OR user_id > $3)
ORDER BY user_id
LIMIT $4
