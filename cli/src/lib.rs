//! The plinth command: dev, serve, migrate, schema-registry.
