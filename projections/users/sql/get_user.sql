SELECT user_id, tenant_id, email, display_name, created_at, version,
       email_verified, disabled, administrator
FROM users_v1
WHERE user_id = $1 AND tenant_id = $2
