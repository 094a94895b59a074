SELECT session_id, user_id, tenant_id, started_at, last_refreshed_at, expires_at, revoked_at,
       revoked_reason
FROM sessions_v1
WHERE session_id = $1 AND tenant_id = $2
