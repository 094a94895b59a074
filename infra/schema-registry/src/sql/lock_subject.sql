SELECT compatibility FROM schema_registry_subjects WHERE subject = $1 FOR UPDATE
