SELECT subject, version, deleted
FROM schema_registry_versions
WHERE schema_id = $1
ORDER BY subject, version
