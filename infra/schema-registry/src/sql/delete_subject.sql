DELETE FROM schema_registry_versions WHERE subject = $1
