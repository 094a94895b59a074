-- Never moves backwards, even if a deposed leader writes late.
INSERT INTO relay_checkpoints (name, transaction_id, position)
VALUES ($1, $2::text::xid8, $3)
ON CONFLICT (name) DO UPDATE
    SET transaction_id = excluded.transaction_id, position = excluded.position, updated_at = now()
    WHERE (relay_checkpoints.transaction_id, relay_checkpoints.position) < (excluded.transaction_id, excluded.position)
