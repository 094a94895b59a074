INSERT INTO schema_registry_versions (subject, version, schema_id) VALUES ($1, $2, $3)
