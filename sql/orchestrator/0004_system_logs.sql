-- Orchestrator (seed 002), step 4: application-level logs, not tied to an agent.
-- Idempotent and runnable by hand (psql -f): see 0000 for the first two lines.
CREATE SCHEMA IF NOT EXISTS orchestrator;
SET search_path TO orchestrator, public;

CREATE TABLE IF NOT EXISTS system_logs (
    id        uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    file_path text,
    adw_id    text,
    adw_step  text,
    level     text        NOT NULL,
    message   text        NOT NULL,
    summary   text,
    metadata  jsonb       DEFAULT '{}'::jsonb,
    timestamp timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_system_logs_level CHECK (level IN ('DEBUG', 'INFO', 'WARNING', 'ERROR'))
);

COMMENT ON TABLE system_logs IS 'Application-level logs; agent events go to agent_logs instead.';
COMMENT ON COLUMN system_logs.id IS 'Server-generated log entry identifier.';
COMMENT ON COLUMN system_logs.file_path IS 'File the log entry refers to or was written from.';
COMMENT ON COLUMN system_logs.adw_id IS 'AI Developer Workflow run the entry belongs to.';
COMMENT ON COLUMN system_logs.adw_step IS 'AI Developer Workflow step the entry belongs to.';
COMMENT ON COLUMN system_logs.level IS 'Severity: DEBUG, INFO, WARNING or ERROR.';
COMMENT ON COLUMN system_logs.message IS 'The log message.';
COMMENT ON COLUMN system_logs.summary IS 'Generated one-sentence summary of the message.';
COMMENT ON COLUMN system_logs.metadata IS 'JSON object with additional context.';
COMMENT ON COLUMN system_logs.timestamp IS 'When the entry was logged.';
