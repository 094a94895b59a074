-- Events the relay could not publish (no published schema, or a payload that does not map to
-- it), and the later events of their aggregates, held back in order so that no consumer sees a
-- gap. An operator asks for `retry` (after a fix) or `withhold` (publish a plinth.Withheld
-- record in the event's place) with `plinth relay retry|withhold`.
CREATE TABLE relay_parked
(
    position       bigint      PRIMARY KEY,
    event_id       uuid        NOT NULL UNIQUE,
    aggregate_type text        NOT NULL,
    aggregate_id   text        NOT NULL,
    sequence       bigint      NOT NULL,
    event_type     text        NOT NULL,
    reason         text        NOT NULL,
    parked_at      timestamptz NOT NULL DEFAULT now(),
    action         text        CHECK (action IN ('retry', 'withhold')),
    requested_at   timestamptz
);

CREATE INDEX relay_parked_aggregate ON relay_parked (aggregate_type, aggregate_id, sequence);

-- Aggregates whose events a consumer asks to be published again from a sequence on (a message
-- it never received, or could not read). The relay serves and deletes each request.
CREATE TABLE relay_republish
(
    aggregate_type text        NOT NULL,
    aggregate_id   text        NOT NULL,
    from_sequence  bigint      NOT NULL,
    requested_by   text        NOT NULL,
    requested_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (aggregate_type, aggregate_id)
);
