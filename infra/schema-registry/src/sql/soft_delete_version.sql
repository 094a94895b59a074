UPDATE schema_registry_versions SET deleted = true WHERE subject = $1 AND version = $2
