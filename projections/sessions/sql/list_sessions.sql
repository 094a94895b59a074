-- A user's sessions that still work: not revoked, not expired. Newest first.
SELECT session_id, user_id, tenant_id, started_at, last_refreshed_at, expires_at, revoked_at,
       revoked_reason
FROM sessions_v1
WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > now()
ORDER BY session_id DESC
LIMIT 200
