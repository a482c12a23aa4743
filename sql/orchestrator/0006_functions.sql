-- Orchestrator (seed 002), step 6: the trigger functions that keep updated_at current.
-- Idempotent ("or replace") and runnable by hand (psql -f): see 0000.
-- now() is the transaction's start time: every row touched by one transaction gets the
-- same updated_at, which is what "changed by this transaction" should mean.
CREATE SCHEMA IF NOT EXISTS orchestrator;
SET search_path TO orchestrator, public;

CREATE OR REPLACE FUNCTION orchestrator_agents_set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

CREATE OR REPLACE FUNCTION agents_set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

COMMENT ON FUNCTION orchestrator_agents_set_updated_at() IS 'Trigger function: sets orchestrator_agents.updated_at to now() on every update.';
COMMENT ON FUNCTION agents_set_updated_at() IS 'Trigger function: sets agents.updated_at to now() on every update.';
