-- Orchestrator (seed 002), step 5: the performance indexes of the five tables above;
-- 0008 adds orchestrator_chat's own six with its table.
-- Idempotent and runnable by hand (psql -f): see 0000 for the first two lines.
--
-- How the seed's "36 indexes" is counted: 30 explicit indexes (24 here, 6 in 0008)
-- plus the 6 primary-key indexes, one per table = 36. The two indexes behind UNIQUE
-- constraints (uq_orchestrator_agents_session_id, uq_agents_orchestrator_agent_id_name)
-- are not in the seed's count, so pg_indexes shows 38 rows for the schema. To see 36:
--   SELECT count(*) FROM pg_indexes i
--   WHERE i.schemaname = 'orchestrator'
--     AND NOT EXISTS (SELECT 1 FROM pg_constraint c
--                     WHERE c.contype = 'u'
--                       AND c.conindid = format('%I.%I', i.schemaname, i.indexname)::regclass);
-- The agent tables get status, updated_at DESC and archived; name exists on agents only.
-- The seed's source indexes status and updated_at on orchestrator_agents and nothing else
-- there; archived on orchestrator_agents would make 37, so it is left out (a singleton
-- table gains nothing from it).
CREATE SCHEMA IF NOT EXISTS orchestrator;
SET search_path TO orchestrator, public;

-- orchestrator_agents (2)
CREATE INDEX IF NOT EXISTS idx_orchestrator_agents_status ON orchestrator_agents (status);
CREATE INDEX IF NOT EXISTS idx_orchestrator_agents_updated_at ON orchestrator_agents (updated_at DESC);

-- agents (4); orchestrator_agent_id is covered by uq_agents_orchestrator_agent_id_name
CREATE INDEX IF NOT EXISTS idx_agents_status ON agents (status);
CREATE INDEX IF NOT EXISTS idx_agents_updated_at ON agents (updated_at DESC);
CREATE INDEX IF NOT EXISTS idx_agents_name ON agents (name);
CREATE INDEX IF NOT EXISTS idx_agents_archived ON agents (archived);

-- prompts (4)
CREATE INDEX IF NOT EXISTS idx_prompts_agent_id ON prompts (agent_id);
CREATE INDEX IF NOT EXISTS idx_prompts_author ON prompts (author);
CREATE INDEX IF NOT EXISTS idx_prompts_timestamp ON prompts (timestamp DESC);
CREATE INDEX IF NOT EXISTS idx_prompts_task_slug ON prompts (task_slug)
    WHERE task_slug IS NOT NULL;

-- agent_logs (10); the optional text keys are partial: most rows leave them NULL
CREATE INDEX IF NOT EXISTS idx_agent_logs_agent_id ON agent_logs (agent_id);
CREATE INDEX IF NOT EXISTS idx_agent_logs_task_slug ON agent_logs (task_slug)
    WHERE task_slug IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_agent_logs_adw_id ON agent_logs (adw_id)
    WHERE adw_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_agent_logs_adw_step ON agent_logs (adw_step)
    WHERE adw_step IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_agent_logs_session_id ON agent_logs (session_id)
    WHERE session_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_agent_logs_task_slug_entry_index ON agent_logs (task_slug, entry_index);
CREATE INDEX IF NOT EXISTS idx_agent_logs_event_category ON agent_logs (event_category);
CREATE INDEX IF NOT EXISTS idx_agent_logs_event_type ON agent_logs (event_type);
CREATE INDEX IF NOT EXISTS idx_agent_logs_event_category_event_type ON agent_logs (event_category, event_type);
CREATE INDEX IF NOT EXISTS idx_agent_logs_timestamp ON agent_logs (timestamp DESC);

-- system_logs (4)
CREATE INDEX IF NOT EXISTS idx_system_logs_level ON system_logs (level);
CREATE INDEX IF NOT EXISTS idx_system_logs_timestamp ON system_logs (timestamp DESC);
CREATE INDEX IF NOT EXISTS idx_system_logs_adw_id ON system_logs (adw_id)
    WHERE adw_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_system_logs_adw_step ON system_logs (adw_step)
    WHERE adw_step IS NOT NULL;
