SELECT subject, bool_or(NOT deleted) AS live
FROM schema_registry_versions
GROUP BY subject
ORDER BY subject
