-- The backend whose running transaction is the oldest holding a transaction id: the one the
-- global order waits for.
SELECT pid, usename, application_name, client_addr::text AS client, state,
       extract(epoch FROM now() - xact_start)::float8 AS age_secs, left(query, 200) AS query
FROM pg_stat_activity
WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()
ORDER BY age(backend_xid) DESC
LIMIT 1
