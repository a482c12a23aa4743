-- ibex_core (seed 001), part 7: the trigger function resolves names on a path of its own
-- (`dbkit lint`: function-search-path-mutable). Without one it used the search_path of whoever runs the
-- UPDATE: a role that puts a schema of its own first could make now() mean its own function inside every
-- table's updated_at trigger. Its body names only pg_catalog's now(), so pg_catalog (then pg_temp, last,
-- so that no temporary object can stand in) is all it needs.
-- ALTER FUNCTION locks the function, and waits behind any transaction running it: give up after 5 s, not
-- stall every UPDATE behind the wait (the runner rolls the whole file back; run it again later).

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';
ALTER FUNCTION set_updated_at() SET search_path = pg_catalog, pg_temp;
