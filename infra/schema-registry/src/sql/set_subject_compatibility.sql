-- $2 NULL removes the subject-level level.
INSERT INTO schema_registry_subjects (subject, compatibility) VALUES ($1, $2)
ON CONFLICT (subject) DO UPDATE SET compatibility = EXCLUDED.compatibility
