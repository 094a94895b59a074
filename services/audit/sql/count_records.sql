SELECT count(*) FROM events WHERE aggregate_type = 'audit.trail' AND ($1::text IS NULL OR aggregate_id = $1)
