-- Orchestrator (seed 002), step 0: the orchestrator agent that manages the other agents.
-- Idempotent, and runnable by hand (psql -f) as well as by the kit's runner: hence the
-- schema and search_path lines, which repeat what the runner already does.
CREATE SCHEMA IF NOT EXISTS orchestrator;
SET search_path TO orchestrator, public;

CREATE TABLE IF NOT EXISTS orchestrator_agents (
    id            uuid          PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id    text,
    system_prompt text,
    status        text,
    working_dir   text,
    input_tokens  integer       DEFAULT 0,
    output_tokens integer       DEFAULT 0,
    total_cost    numeric(10,4) DEFAULT 0,
    archived      boolean       DEFAULT false,
    metadata      jsonb         DEFAULT '{}'::jsonb,
    created_at    timestamptz   NOT NULL DEFAULT now(),
    updated_at    timestamptz   NOT NULL DEFAULT now(),
    CONSTRAINT uq_orchestrator_agents_session_id UNIQUE (session_id),
    CONSTRAINT ck_orchestrator_agents_status
        CHECK (status IN ('idle', 'executing', 'waiting', 'blocked', 'complete'))
);

COMMENT ON TABLE orchestrator_agents IS 'Orchestrator agents: the top-level agent that plans work and manages the other agents.';
COMMENT ON COLUMN orchestrator_agents.id IS 'Server-generated orchestrator identifier.';
COMMENT ON COLUMN orchestrator_agents.session_id IS 'Unique Claude SDK session id, NULL until the first interaction.';
COMMENT ON COLUMN orchestrator_agents.system_prompt IS 'System prompt the orchestrator runs with.';
COMMENT ON COLUMN orchestrator_agents.status IS 'Current state: idle, executing, waiting, blocked or complete.';
COMMENT ON COLUMN orchestrator_agents.working_dir IS 'Working directory the orchestrator operates in.';
COMMENT ON COLUMN orchestrator_agents.input_tokens IS 'Cumulative input tokens consumed.';
COMMENT ON COLUMN orchestrator_agents.output_tokens IS 'Cumulative output tokens generated.';
COMMENT ON COLUMN orchestrator_agents.total_cost IS 'Cumulative cost in USD, four decimal places.';
COMMENT ON COLUMN orchestrator_agents.archived IS 'Soft-delete flag: true once the orchestrator is retired.';
COMMENT ON COLUMN orchestrator_agents.metadata IS 'JSON object with orchestrator configuration (model, tools, commands).';
COMMENT ON COLUMN orchestrator_agents.created_at IS 'When the row was created.';
COMMENT ON COLUMN orchestrator_agents.updated_at IS 'When the row last changed; kept current by a trigger.';
