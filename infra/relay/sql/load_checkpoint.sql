SELECT transaction_id::text AS transaction_id, position FROM relay_checkpoints WHERE name = $1
