-- Aggregates a projection cannot apply further: an event arrived before its predecessor (the
-- predecessor never came, or not yet), or could not be read. Written in the batch's
-- transaction; the projector asks the relay to publish the aggregate again from `waiting_for`
-- and deletes the row once the aggregate has got past it. `plinth status` lists them.
CREATE TABLE projection_stalls
(
    projection             text        NOT NULL,
    aggregate_type         text        NOT NULL,
    aggregate_id           text        NOT NULL,
    -- The sequence the projection waits for.
    waiting_for            bigint      NOT NULL,
    -- The highest sequence seen while waiting.
    seen_sequence          bigint      NOT NULL,
    reason                 text        NOT NULL,
    first_seen             timestamptz NOT NULL DEFAULT now(),
    last_seen              timestamptz NOT NULL DEFAULT now(),
    republish_requested_at timestamptz,
    PRIMARY KEY (projection, aggregate_type, aggregate_id)
);
