-- Orchestrator (seed 002), step 7: attach the updated_at functions of 0006.
-- Drop, then create, as the seed does: triggers have no "if not exists", and this works
-- on every PostgreSQL version ("or replace" for triggers needs 14).
-- Idempotent and runnable by hand (psql -f): see 0000 for the first two lines.
CREATE SCHEMA IF NOT EXISTS orchestrator;
SET search_path TO orchestrator, public;

DROP TRIGGER IF EXISTS trg_orchestrator_agents_updated_at ON orchestrator_agents;
CREATE TRIGGER trg_orchestrator_agents_updated_at
    BEFORE UPDATE ON orchestrator_agents
    FOR EACH ROW EXECUTE FUNCTION orchestrator_agents_set_updated_at();

DROP TRIGGER IF EXISTS trg_agents_updated_at ON agents;
CREATE TRIGGER trg_agents_updated_at
    BEFORE UPDATE ON agents
    FOR EACH ROW EXECUTE FUNCTION agents_set_updated_at();

COMMENT ON TRIGGER trg_orchestrator_agents_updated_at ON orchestrator_agents IS 'Keeps updated_at current on every update.';
COMMENT ON TRIGGER trg_agents_updated_at ON agents IS 'Keeps updated_at current on every update.';
