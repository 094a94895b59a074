UPDATE sessions_v1 SET last_refreshed_at = $2, version = $3 WHERE session_id = $1
