INSERT INTO audit_checkpoints_v1 (tenant_id, position, head_hash, at, key_id, signature)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (tenant_id, position) DO NOTHING
