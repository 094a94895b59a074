INSERT INTO audit_records_v1 (tenant_id, position, at, actor, action, target_type, target_id,
                              outcome, source_ip, user_agent, correlation_id, causation_id,
                              source_event_id, source_position, details, prev_hash, hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
ON CONFLICT (tenant_id, position) DO NOTHING
