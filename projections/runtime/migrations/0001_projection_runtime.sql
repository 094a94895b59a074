-- Per projection and partition: the next Kafka offset to apply. Updated in the same transaction
-- as the read model, so a crash never applies a message twice or skips one.
CREATE TABLE projection_offsets
(
    projection  text        NOT NULL,
    topic       text        NOT NULL,
    partition   integer     NOT NULL,
    next_offset bigint      NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, topic, partition)
);

-- Per projection and aggregate: the last sequence applied. Absorbs events the relay published
-- twice (at new offsets) and answers consistency-token waits.
CREATE TABLE projection_progress
(
    projection     text   NOT NULL,
    aggregate_type text   NOT NULL,
    aggregate_id   text   NOT NULL,
    sequence       bigint NOT NULL,
    PRIMARY KEY (projection, aggregate_type, aggregate_id)
);
