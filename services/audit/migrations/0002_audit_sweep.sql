-- How far the sweeper has checked the trail against the store (one row): every event of the
-- global order up to here is recorded, or was found missing and asked for again.
CREATE TABLE audit_sweep
(
    id             boolean PRIMARY KEY DEFAULT true CHECK (id),
    transaction_id xid8    NOT NULL,
    position       bigint  NOT NULL
);
