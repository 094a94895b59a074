INSERT INTO sessions_v1 (session_id, user_id, tenant_id, started_at, expires_at, version)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (session_id) DO NOTHING
