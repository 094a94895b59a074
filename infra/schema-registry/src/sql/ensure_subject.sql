INSERT INTO schema_registry_subjects (subject) VALUES ($1)
ON CONFLICT (subject) DO NOTHING
