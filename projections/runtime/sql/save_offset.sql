UPDATE projection_offsets SET next_offset = $4, updated_at = now()
WHERE projection = $1 AND topic = $2 AND partition = $3
