-- Orchestrator (seed 002), step 2: prompts sent to agents by engineers or the orchestrator.
-- Idempotent and runnable by hand (psql -f): see 0000 for the first two lines.
CREATE SCHEMA IF NOT EXISTS orchestrator;
SET search_path TO orchestrator, public;

CREATE TABLE IF NOT EXISTS prompts (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    agent_id    uuid        REFERENCES agents (id) ON DELETE CASCADE,
    task_slug   text,
    author      text        NOT NULL,
    prompt_text text        NOT NULL,
    summary     text,
    timestamp   timestamptz NOT NULL DEFAULT now(),
    session_id  text,
    CONSTRAINT ck_prompts_author CHECK (author IN ('engineer', 'orchestrator_agent'))
);

COMMENT ON TABLE prompts IS 'Prompt history: every prompt an engineer or the orchestrator sent.';
COMMENT ON COLUMN prompts.id IS 'Server-generated prompt identifier.';
COMMENT ON COLUMN prompts.agent_id IS 'Agent that received the prompt; NULL for prompts to the orchestrator itself.';
COMMENT ON COLUMN prompts.task_slug IS 'Kebab-case task the prompt belongs to.';
COMMENT ON COLUMN prompts.author IS 'Who sent the prompt: engineer or orchestrator_agent.';
COMMENT ON COLUMN prompts.prompt_text IS 'Full text of the prompt.';
COMMENT ON COLUMN prompts.summary IS 'Generated one-sentence summary of the prompt.';
COMMENT ON COLUMN prompts.timestamp IS 'When the prompt was sent.';
COMMENT ON COLUMN prompts.session_id IS 'Claude SDK session the prompt was sent in.';
