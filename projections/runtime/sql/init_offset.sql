INSERT INTO projection_offsets (projection, topic, partition, next_offset)
VALUES ($1, $2, $3, 0)
ON CONFLICT DO NOTHING
