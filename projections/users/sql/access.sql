SELECT disabled, sessions_not_before, session_kept
FROM users_v1
WHERE user_id = $1 AND tenant_id = $2
