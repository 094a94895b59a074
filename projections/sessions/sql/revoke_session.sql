UPDATE sessions_v1 SET revoked_at = $2, revoked_reason = $3, version = $4 WHERE session_id = $1
