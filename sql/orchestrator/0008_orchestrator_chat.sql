-- Orchestrator (seed 002), step 8: the three-way conversation log
-- (user <-> orchestrator <-> agents), with its six indexes.
-- Idempotent and runnable by hand (psql -f): see 0000 for the first two lines.
CREATE SCHEMA IF NOT EXISTS orchestrator;
SET search_path TO orchestrator, public;

CREATE TABLE IF NOT EXISTS orchestrator_chat (
    id                    uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    orchestrator_agent_id uuid        NOT NULL
        REFERENCES orchestrator_agents (id) ON DELETE CASCADE,
    sender_type           text        NOT NULL,
    receiver_type         text        NOT NULL,
    message               text        NOT NULL,
    summary               text,
    agent_id              uuid        REFERENCES agents (id) ON DELETE CASCADE,
    metadata              jsonb       DEFAULT '{}'::jsonb,
    CONSTRAINT ck_orchestrator_chat_sender_type
        CHECK (sender_type IN ('user', 'orchestrator', 'agent')),
    CONSTRAINT ck_orchestrator_chat_receiver_type
        CHECK (receiver_type IN ('user', 'orchestrator', 'agent')),
    -- agent_id names the agent exactly when an agent is one of the two parties.
    CONSTRAINT ck_orchestrator_chat_agent_id
        CHECK ((sender_type = 'agent' OR receiver_type = 'agent') = (agent_id IS NOT NULL))
);

CREATE INDEX IF NOT EXISTS idx_orchestrator_chat_orchestrator_agent_id
    ON orchestrator_chat (orchestrator_agent_id);
CREATE INDEX IF NOT EXISTS idx_orchestrator_chat_agent_id ON orchestrator_chat (agent_id);
CREATE INDEX IF NOT EXISTS idx_orchestrator_chat_sender_type ON orchestrator_chat (sender_type);
CREATE INDEX IF NOT EXISTS idx_orchestrator_chat_receiver_type ON orchestrator_chat (receiver_type);
CREATE INDEX IF NOT EXISTS idx_orchestrator_chat_orchestrator_agent_id_created_at
    ON orchestrator_chat (orchestrator_agent_id, created_at DESC);
CREATE INDEX IF NOT EXISTS idx_orchestrator_chat_agent_id_created_at
    ON orchestrator_chat (agent_id, created_at DESC);

COMMENT ON TABLE orchestrator_chat IS 'Append-only conversation log between the user, the orchestrator and its agents.';
COMMENT ON COLUMN orchestrator_chat.id IS 'Server-generated message identifier.';
COMMENT ON COLUMN orchestrator_chat.created_at IS 'When the message was recorded.';
COMMENT ON COLUMN orchestrator_chat.updated_at IS 'When the message row last changed (no trigger: the log is append-only).';
COMMENT ON COLUMN orchestrator_chat.orchestrator_agent_id IS 'Orchestrator whose conversation this is (foreign key, cascades on delete).';
COMMENT ON COLUMN orchestrator_chat.sender_type IS 'Who sent the message: user, orchestrator or agent.';
COMMENT ON COLUMN orchestrator_chat.receiver_type IS 'Who receives the message: user, orchestrator or agent.';
COMMENT ON COLUMN orchestrator_chat.message IS 'Text of the message.';
COMMENT ON COLUMN orchestrator_chat.summary IS 'Generated one-sentence summary of the message.';
COMMENT ON COLUMN orchestrator_chat.agent_id IS 'Agent taking part, set exactly when sender or receiver is agent (foreign key, cascades on delete).';
COMMENT ON COLUMN orchestrator_chat.metadata IS 'JSON object with extra context (tools used, task slug).';
