-- A user's sessions that still work: not revoked, not expired, not idle longer than $3 seconds.
-- Newest first.
SELECT session_id, user_id, tenant_id, started_at, last_refreshed_at, expires_at, revoked_at,
       revoked_reason
FROM sessions_v1
WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > now()
  AND coalesce(last_refreshed_at, started_at) > now() - make_interval(secs => $3)
ORDER BY session_id DESC
LIMIT 200
