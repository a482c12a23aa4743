-- ibex_core (seed 001), part 1: what every later file relies on.
-- The runner has already created the schema and set search_path to ibex_core, public.

-- pgvector lives in public so that every schema of the kit shares one vector type.
CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public;

-- One trigger function serves every table with an updated_at column: applications forget to set it.
CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

COMMENT ON FUNCTION set_updated_at() IS 'BEFORE UPDATE trigger function: stamps NEW.updated_at with the transaction time.';
