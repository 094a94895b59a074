-- Counting the role and binding events (every authz write ever committed) is what a guard
-- compares its view with before deciding a sensitive permission; this partial index makes the
-- count an index-only scan over authz rows alone.
CREATE INDEX events_authz_writes ON events (position)
    WHERE aggregate_type IN ('authz.role', 'authz.binding');
