-- How far each relay (by name) has published the global order. Written only after the broker
-- acknowledged everything up to it.
CREATE TABLE relay_checkpoints
(
    name           text        PRIMARY KEY,
    transaction_id xid8        NOT NULL,
    position       bigint      NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
