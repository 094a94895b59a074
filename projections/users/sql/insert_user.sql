INSERT INTO users_v1 (user_id, tenant_id, email, display_name, created_at, version)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (user_id) DO NOTHING
