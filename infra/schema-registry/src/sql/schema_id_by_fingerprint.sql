SELECT id FROM schema_registry_schemas WHERE fingerprint = $1
