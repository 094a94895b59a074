INSERT INTO schema_registry_schemas (schema_type, schema, fingerprint)
VALUES ($1, $2, $3)
ON CONFLICT (fingerprint) DO NOTHING
RETURNING id
