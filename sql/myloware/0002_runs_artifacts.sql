-- MyloWare (seed 003): the run lifecycle and what personas produce during a run.
-- The seed's DDL as given, except: gen_random_uuid() replaces uuid_generate_v4().
-- gen_random_uuid() is core PostgreSQL since 13 and needs no extension (uuid-ossp is
-- not shipped with the embedded server); both return random version-4 UUIDs.

CREATE TABLE runs (
  run_id     TEXT PRIMARY KEY,
  project    TEXT NOT NULL,
  status     TEXT NOT NULL,
  payload    JSONB,
  result     JSONB,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

COMMENT ON TABLE runs IS 'One production run of a MyloWare project: its lifecycle status plus the request payload and final result.';
COMMENT ON COLUMN runs.run_id IS 'Caller-chosen run identifier (text, not a UUID) that every other run-scoped table references.';
COMMENT ON COLUMN runs.project IS 'Name of the project (publishing pipeline) the run belongs to.';
COMMENT ON COLUMN runs.status IS 'Current lifecycle state of the run as reported by the orchestrator (free text in the seed, no CHECK).';
COMMENT ON COLUMN runs.payload IS 'The request that started the run, as JSON.';
COMMENT ON COLUMN runs.result IS 'The run''s final output as JSON; NULL until the run finishes.';
COMMENT ON COLUMN runs.created_at IS 'When the run row was inserted.';
COMMENT ON COLUMN runs.updated_at IS 'When the run row was last changed; the application sets it (there is no trigger).';

CREATE TABLE artifacts (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),  -- seed: uuid_generate_v4()
  run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  type TEXT NOT NULL,
  url TEXT,
  provider TEXT,
  checksum TEXT,
  metadata JSONB NOT NULL DEFAULT '{}'::jsonb,
  retrieval_trace JSONB,
  persona TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE INDEX idx_artifacts_persona ON artifacts(persona);
-- Not in the seed: the foreign key column gets its own index so that fetching a run's
-- artifacts and the ON DELETE CASCADE from runs do not scan the whole table.
CREATE INDEX idx_artifacts_run_id ON artifacts(run_id);

COMMENT ON TABLE artifacts IS 'Outputs produced during a run: persona deliverables, notifications and RAG audit records.';
COMMENT ON COLUMN artifacts.id IS 'Artifact identifier, a random UUID from gen_random_uuid().';
COMMENT ON COLUMN artifacts.run_id IS 'The run that produced the artifact; deleting the run deletes its artifacts.';
COMMENT ON COLUMN artifacts.type IS 'Kind of artifact, e.g. a script, a video, a notification or a citations record.';
COMMENT ON COLUMN artifacts.url IS 'Where the artifact''s content is stored, if it lives outside the database.';
COMMENT ON COLUMN artifacts.provider IS 'External service that produced or hosts the artifact, if any.';
COMMENT ON COLUMN artifacts.checksum IS 'Checksum of the artifact''s content, used to detect changed or duplicate uploads.';
COMMENT ON COLUMN artifacts.metadata IS 'Free-form JSON details; for RAG audits it carries the citations that accompany retrieval_trace.';
COMMENT ON COLUMN artifacts.retrieval_trace IS 'Structured RAG trace of the persona memory searches behind this artifact, if any.';
COMMENT ON COLUMN artifacts.persona IS 'The persona (agent role) that produced the artifact.';
COMMENT ON COLUMN artifacts.created_at IS 'When the artifact was recorded.';
