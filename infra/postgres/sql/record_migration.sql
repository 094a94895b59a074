INSERT INTO plinth_migrations (component, version, name) VALUES ($1, $2, $3)
