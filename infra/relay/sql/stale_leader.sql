-- The session holding the relay's leader lock ($1, a bigint advisory lock: its high and low 32
-- bits are classid and objid), if it has not started a statement for $2 seconds: its pid, and
-- how long it has been silent. The leader runs one every second (leader.rs).
SELECT a.pid, extract(epoch FROM now() - a.query_start)::float8 AS silent
FROM pg_locks l
JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory'
  AND l.granted
  AND l.objsubid = 1
  AND l.classid::text::bigint = ($1::bigint >> 32)
  AND l.objid::text::bigint = ($1::bigint & 4294967295)
  AND a.query_start < now() - make_interval(secs => $2)
