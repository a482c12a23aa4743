-- Orchestrator (seed 002), step 9: the updated_at trigger functions of 0006 resolve names on a path of
-- their own (`dbkit lint`: function-search-path-mutable), not on the caller's: their bodies name only
-- pg_catalog's now(), so pg_catalog, then pg_temp last (no temporary object can stand in), is all they need.
-- Idempotent and runnable by hand (psql -f): see 0000 for the first two lines. Re-running 0006 by hand
-- (CREATE OR REPLACE) drops the setting again; run this file after it.
-- The timeouts come first and are reset last: plain SET, since by hand (psql -f) no transaction is open
-- for SET LOCAL, and RESET so that they do not outlive the file on the runner's connection.
SET lock_timeout = '5s';
SET statement_timeout = '60s';
CREATE SCHEMA IF NOT EXISTS orchestrator;
SET search_path TO orchestrator, public;

ALTER FUNCTION orchestrator_agents_set_updated_at() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION agents_set_updated_at() SET search_path = pg_catalog, pg_temp;

RESET statement_timeout;
RESET lock_timeout;
