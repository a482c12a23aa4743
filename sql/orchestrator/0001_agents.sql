-- Orchestrator (seed 002), step 1: the registry of agents an orchestrator manages.
-- Idempotent and runnable by hand (psql -f): see 0000 for the first two lines.
CREATE SCHEMA IF NOT EXISTS orchestrator;
SET search_path TO orchestrator, public;

CREATE TABLE IF NOT EXISTS agents (
    id                    uuid          PRIMARY KEY DEFAULT gen_random_uuid(),
    orchestrator_agent_id uuid          NOT NULL
        REFERENCES orchestrator_agents (id) ON DELETE CASCADE,
    name                  text          NOT NULL,
    model                 text          NOT NULL,
    system_prompt         text,
    working_dir           text,
    git_worktree          text,
    status                text,
    session_id            text,
    adw_id                text,
    adw_step              text,
    input_tokens          integer       DEFAULT 0,
    output_tokens         integer       DEFAULT 0,
    total_cost            numeric(10,4) DEFAULT 0,
    archived              boolean       DEFAULT false,
    metadata              jsonb         DEFAULT '{}'::jsonb,
    created_at            timestamptz   NOT NULL DEFAULT now(),
    updated_at            timestamptz   NOT NULL DEFAULT now(),
    -- Also serves as the index on the foreign key: it leads with orchestrator_agent_id.
    CONSTRAINT uq_agents_orchestrator_agent_id_name UNIQUE (orchestrator_agent_id, name),
    CONSTRAINT ck_agents_status
        CHECK (status IN ('idle', 'executing', 'waiting', 'blocked', 'complete'))
);

COMMENT ON TABLE agents IS 'Managed agents: each belongs to one orchestrator and tracks its own status, usage and cost.';
COMMENT ON COLUMN agents.id IS 'Server-generated agent identifier.';
COMMENT ON COLUMN agents.orchestrator_agent_id IS 'Owning orchestrator (foreign key, cascades on delete).';
COMMENT ON COLUMN agents.name IS 'Agent name, unique within its orchestrator.';
COMMENT ON COLUMN agents.model IS 'Model id the agent runs on, e.g. claude-sonnet-4-5.';
COMMENT ON COLUMN agents.system_prompt IS 'Custom system prompt of the agent.';
COMMENT ON COLUMN agents.working_dir IS 'Working directory the agent operates in.';
COMMENT ON COLUMN agents.git_worktree IS 'Git worktree path when the agent works in its own worktree.';
COMMENT ON COLUMN agents.status IS 'Current state: idle, executing, waiting, blocked or complete.';
COMMENT ON COLUMN agents.session_id IS 'Current Claude SDK session id of the agent.';
COMMENT ON COLUMN agents.adw_id IS 'AI Developer Workflow run the agent is working on.';
COMMENT ON COLUMN agents.adw_step IS 'Step of the AI Developer Workflow the agent is on.';
COMMENT ON COLUMN agents.input_tokens IS 'Cumulative input tokens consumed.';
COMMENT ON COLUMN agents.output_tokens IS 'Cumulative output tokens generated.';
COMMENT ON COLUMN agents.total_cost IS 'Cumulative cost in USD, four decimal places.';
COMMENT ON COLUMN agents.archived IS 'Soft-delete flag: true once the agent is retired.';
COMMENT ON COLUMN agents.metadata IS 'JSON object with agent configuration (allowed tools, permission mode).';
COMMENT ON COLUMN agents.created_at IS 'When the row was created.';
COMMENT ON COLUMN agents.updated_at IS 'When the row last changed; kept current by a trigger.';
