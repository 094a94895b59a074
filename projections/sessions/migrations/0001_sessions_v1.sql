CREATE TABLE sessions_v1
(
    session_id      uuid        PRIMARY KEY,
    user_id         uuid        NOT NULL,
    tenant_id       text        NOT NULL,
    started_at      timestamptz NOT NULL,
    last_refreshed_at timestamptz,
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    revoked_reason  text,
    version         bigint      NOT NULL
);

CREATE INDEX sessions_v1_user ON sessions_v1 (tenant_id, user_id, session_id);
