-- A schema is visible by id while some version, soft-deleted or not, still uses it.
SELECT s.schema
FROM schema_registry_schemas s
WHERE s.id = $1
  AND EXISTS (SELECT 1 FROM schema_registry_versions v WHERE v.schema_id = s.id)
