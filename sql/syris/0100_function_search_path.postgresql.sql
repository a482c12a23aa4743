-- SYRIS (seed 004): the append-only trigger function of 0005 resolves names on a path of its own
-- (`dbkit lint`: function-search-path-mutable), not on the search_path of whoever attempts the UPDATE or
-- DELETE. PostgreSQL only: SQLite's triggers have no functions. Numbered 0100 so that it follows 0099 on
-- databases that already have every earlier file. The timeouts: wait 5 s at most behind a transaction that
-- holds the function, then fail and leave nothing applied, rather than stall the audit log behind the wait.

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';
ALTER FUNCTION audit_events_append_only() SET search_path = pg_catalog, pg_temp;
