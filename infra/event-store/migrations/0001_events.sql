-- The postgres-es tables, unchanged in their columns, so postgres-es reads and writes them as usual.
CREATE TABLE events
(
    aggregate_type text                         NOT NULL,
    aggregate_id   text                         NOT NULL,
    sequence       bigint CHECK (sequence >= 0) NOT NULL,
    event_type     text                         NOT NULL,
    event_version  text                         NOT NULL,
    payload        json                         NOT NULL,
    metadata       json                         NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);

CREATE TABLE snapshots
(
    aggregate_type   text                                 NOT NULL,
    aggregate_id     text                                 NOT NULL,
    last_sequence    bigint CHECK (last_sequence >= 0)    NOT NULL,
    current_snapshot bigint CHECK (current_snapshot >= 0) NOT NULL,
    payload          json                                 NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, last_sequence)
);

-- UUID v7 (RFC 9562): 48-bit Unix milliseconds, version and variant bits, random rest.
CREATE FUNCTION plinth_uuid_v7() RETURNS uuid LANGUAGE sql VOLATILE AS $$
    SELECT encode(
        set_bit(set_bit(
            overlay(uuid_send(gen_random_uuid())
                    PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                    FROM 1 FOR 6),
            52, 1), 53, 1),
        'hex')::uuid
$$;

-- What postgres-es lacks, filled in by defaults so its INSERT stays as it is:
--  * position: assigned at insert, so NOT commit order on its own;
--  * transaction_id: the writing transaction; the relay reads only transactions older than every
--    transaction still running, ordered by (transaction_id, position) — see ARCHITECTURE.md;
--  * event_id: a stable UUID v7, published as the Kafka header `event_id`.
ALTER TABLE events
    ADD COLUMN position       bigint GENERATED ALWAYS AS IDENTITY,
    ADD COLUMN transaction_id xid8        NOT NULL DEFAULT pg_current_xact_id(),
    ADD COLUMN event_id       uuid        NOT NULL DEFAULT plinth_uuid_v7(),
    ADD COLUMN recorded_at    timestamptz NOT NULL DEFAULT now();

CREATE UNIQUE INDEX events_global_order ON events (transaction_id, position);
CREATE UNIQUE INDEX events_event_id ON events (event_id);

-- Values unique across aggregates (an e-mail within a tenant), claimed in the commit's transaction.
CREATE TABLE unique_claims
(
    scope          text        NOT NULL,
    claim_key      text        NOT NULL,
    aggregate_type text        NOT NULL,
    aggregate_id   text        NOT NULL,
    claimed_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, claim_key)
);

-- Each event row carries its commit's metadata; `unique_claims` there is a JSON array (as a string,
-- since cqrs-es metadata maps strings to strings) of {scope, key}. A claim held by another
-- aggregate aborts the commit with SQLSTATE PLU01 and the scope as the constraint name.
CREATE FUNCTION plinth_events_claim() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    claim json;
    holder text;
BEGIN
    IF NEW.metadata ->> 'unique_claims' IS NULL THEN
        RETURN NEW;
    END IF;
    FOR claim IN SELECT json_array_elements((NEW.metadata ->> 'unique_claims')::json) LOOP
        INSERT INTO unique_claims (scope, claim_key, aggregate_type, aggregate_id)
        VALUES (claim ->> 'scope', claim ->> 'key', NEW.aggregate_type, NEW.aggregate_id)
        ON CONFLICT (scope, claim_key) DO NOTHING;
        IF NOT FOUND THEN
            SELECT aggregate_type || '/' || aggregate_id INTO holder
            FROM unique_claims WHERE scope = claim ->> 'scope' AND claim_key = claim ->> 'key';
            IF holder IS DISTINCT FROM NEW.aggregate_type || '/' || NEW.aggregate_id THEN
                RAISE EXCEPTION 'a unique value in scope % is already taken', claim ->> 'scope'
                    USING ERRCODE = 'PLU01', CONSTRAINT = claim ->> 'scope';
            END IF;
        END IF;
    END LOOP;
    RETURN NEW;
END
$$;

CREATE TRIGGER events_claim BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION plinth_events_claim();

-- Wakes the relay when a commit lands (delivered at commit; repeats within a transaction fold).
CREATE FUNCTION plinth_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('plinth_events', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER events_notify AFTER INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION plinth_events_notify();
