SELECT next_offset FROM projection_offsets
WHERE projection = $1 AND topic = $2 AND partition = $3
FOR UPDATE
