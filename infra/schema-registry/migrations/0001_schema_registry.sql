-- The schema registry: AVRO schemas under global ids, subjects and their numbered versions, and
-- the compatibility level, global and per subject.

-- One row per distinct canonical schema. Ids are global, stable and never reused; a schema keeps
-- its id even when every version that uses it is deleted, so re-registering it gives it back.
CREATE TABLE schema_registry_schemas (
    id          integer     GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    schema_type text        NOT NULL DEFAULT 'AVRO',
    schema      text        NOT NULL,
    -- sha-256 (hex) of the schema type and the canonical schema text.
    fingerprint text        NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- A subject is created by its first registration or configuration. Registrations and deletions
-- lock its row, which serialises the versions of one subject.
CREATE TABLE schema_registry_subjects (
    subject       text        PRIMARY KEY,
    -- The subject-level compatibility level; NULL falls back to the global one.
    compatibility text,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE schema_registry_versions (
    subject       text        NOT NULL REFERENCES schema_registry_subjects (subject),
    version       integer     NOT NULL CHECK (version > 0),
    schema_id     integer     NOT NULL REFERENCES schema_registry_schemas (id),
    -- Soft-deleted versions are kept until a permanent delete removes them.
    deleted       boolean     NOT NULL DEFAULT false,
    registered_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subject, version)
);

CREATE INDEX schema_registry_versions_schema_id ON schema_registry_versions (schema_id);

-- The global configuration: exactly one row.
CREATE TABLE schema_registry_global_config (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    compatibility text    NOT NULL
);

INSERT INTO schema_registry_global_config (compatibility) VALUES ('BACKWARD');
