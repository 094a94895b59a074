SELECT sequence FROM projection_progress
WHERE projection = $1 AND aggregate_type = $2 AND aggregate_id = $3
