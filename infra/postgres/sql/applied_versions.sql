SELECT version FROM plinth_migrations WHERE component = $1
