-- Every tenant's audit records, as the audit.trail topic carries them.
CREATE TABLE audit_records_v1
(
    tenant_id       text        NOT NULL,
    position        bigint      NOT NULL,
    at              timestamptz NOT NULL,
    actor           text        NOT NULL,
    action          text        NOT NULL,
    target_type     text        NOT NULL,
    target_id       text        NOT NULL,
    outcome         text        NOT NULL,
    source_ip       text,
    user_agent      text,
    correlation_id  text,
    causation_id    text,
    source_event_id uuid        NOT NULL,
    source_position bigint      NOT NULL,
    details         text        NOT NULL,
    prev_hash       text        NOT NULL,
    hash            text        NOT NULL,
    PRIMARY KEY (tenant_id, position)
);

CREATE INDEX audit_records_v1_actor ON audit_records_v1 (tenant_id, actor, position);
CREATE INDEX audit_records_v1_action ON audit_records_v1 (tenant_id, action, position);
CREATE INDEX audit_records_v1_target ON audit_records_v1 (tenant_id, target_type, target_id, position);
CREATE INDEX audit_records_v1_at ON audit_records_v1 (tenant_id, at);

-- Every signed checkpoint, as the audit.checkpoint topic carries them.
CREATE TABLE audit_checkpoints_v1
(
    tenant_id text        NOT NULL,
    position  bigint      NOT NULL,
    head_hash text        NOT NULL,
    at        timestamptz NOT NULL,
    key_id    text        NOT NULL,
    signature text        NOT NULL,
    PRIMARY KEY (tenant_id, position)
);
