-- Orchestrator (seed 002), step 3: one event log for hook events and response blocks.
-- Idempotent and runnable by hand (psql -f): see 0000 for the first two lines.
CREATE SCHEMA IF NOT EXISTS orchestrator;
SET search_path TO orchestrator, public;

CREATE TABLE IF NOT EXISTS agent_logs (
    id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    agent_id       uuid        NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    session_id     text,
    task_slug      text,
    adw_id         text,
    adw_step       text,
    entry_index    integer,
    event_category text        NOT NULL,
    event_type     text        NOT NULL,
    content        text,
    payload        jsonb       DEFAULT '{}'::jsonb,
    summary        text,
    timestamp      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_agent_logs_event_category CHECK (event_category IN ('hook', 'response')),
    -- The event type must belong to its category, so a 'hook' row cannot claim 'thinking'.
    CONSTRAINT ck_agent_logs_event_type CHECK (
        (event_category = 'hook' AND event_type IN
            ('PreToolUse', 'PostToolUse', 'UserPromptSubmit', 'Stop', 'SubagentStop', 'PreCompact'))
        OR (event_category = 'response' AND event_type IN
            ('text', 'thinking', 'tool_use', 'tool_result'))
    )
);

COMMENT ON TABLE agent_logs IS 'Unified event log: the hook events and response blocks of every agent, in order.';
COMMENT ON COLUMN agent_logs.id IS 'Server-generated log entry identifier.';
COMMENT ON COLUMN agent_logs.agent_id IS 'Agent that produced the event (foreign key, cascades on delete).';
COMMENT ON COLUMN agent_logs.session_id IS 'Claude SDK session the event belongs to.';
COMMENT ON COLUMN agent_logs.task_slug IS 'Kebab-case task the event belongs to.';
COMMENT ON COLUMN agent_logs.adw_id IS 'AI Developer Workflow run the event belongs to.';
COMMENT ON COLUMN agent_logs.adw_step IS 'AI Developer Workflow step the event belongs to.';
COMMENT ON COLUMN agent_logs.entry_index IS 'Position of the event within its task, for reading the tail in order.';
COMMENT ON COLUMN agent_logs.event_category IS 'Kind of event: hook or response.';
COMMENT ON COLUMN agent_logs.event_type IS 'Hook name (PreToolUse, PostToolUse, UserPromptSubmit, Stop, SubagentStop, PreCompact) or response block (text, thinking, tool_use, tool_result).';
COMMENT ON COLUMN agent_logs.content IS 'Text of text and thinking blocks.';
COMMENT ON COLUMN agent_logs.payload IS 'Complete event data (tool input, block details) as a JSON object.';
COMMENT ON COLUMN agent_logs.summary IS 'Generated one-sentence summary of the event.';
COMMENT ON COLUMN agent_logs.timestamp IS 'When the event occurred.';
