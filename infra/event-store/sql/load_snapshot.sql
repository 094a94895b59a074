SELECT sequence, payload FROM aggregate_snapshots WHERE aggregate_type = $1 AND aggregate_id = $2
