SELECT disabled, sessions_not_before
FROM users_v1
WHERE user_id = $1 AND tenant_id = $2
