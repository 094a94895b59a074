-- Claims can be released: `unique_releases` in a commit's metadata (same shape as
-- `unique_claims`) deletes those claims if this aggregate holds them, before the commit's own
-- claims are made. A role renamed from "editors" frees "editors" for another role.
CREATE OR REPLACE FUNCTION plinth_events_claim() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    claim json;
    holder text;
BEGIN
    IF NEW.metadata ->> 'unique_releases' IS NOT NULL THEN
        FOR claim IN SELECT json_array_elements((NEW.metadata ->> 'unique_releases')::json) LOOP
            DELETE FROM unique_claims
            WHERE scope = claim ->> 'scope' AND claim_key = claim ->> 'key'
              AND aggregate_type = NEW.aggregate_type AND aggregate_id = NEW.aggregate_id;
        END LOOP;
    END IF;
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
