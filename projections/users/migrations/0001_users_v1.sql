CREATE TABLE users_v1
(
    user_id      uuid        PRIMARY KEY,
    tenant_id    text        NOT NULL,
    email        text        NOT NULL,
    display_name text        NOT NULL,
    created_at   timestamptz NOT NULL,
    version      bigint      NOT NULL
);

CREATE INDEX users_v1_tenant_email ON users_v1 (tenant_id, email);
