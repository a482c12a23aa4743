-- SYRIS (seed 004): the append-only audit trail and the encrypted payloads it points to.
-- SQLite dialect; the PostgreSQL conventions are in 0001_events.sql.
-- 0005_audit_append_only makes UPDATE and DELETE on audit_events raise, on both engines.

CREATE TABLE artifacts (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  ref_id       TEXT NOT NULL,
  content_type TEXT,
  ciphertext   BLOB NOT NULL,
  redacted     INTEGER NOT NULL DEFAULT 0 CHECK (redacted IN (0, 1)),
  created_at   TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  -- The unique constraint's index is the catalogue's "ref_id" index: no second one.
  CONSTRAINT uq_artifacts_ref_id UNIQUE (ref_id)
);

CREATE INDEX idx_artifacts_created_at ON artifacts (created_at);

-- No foreign keys: an append-only row can neither cascade nor be set to NULL, and a
-- restricting key would forbid ever purging a task or an artifact. ref_task_id and
-- payload_ref are references by value (to tasks.id and artifacts.ref_id).
CREATE TABLE audit_events (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  trace_id    TEXT NOT NULL,
  timestamp   TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  type        TEXT NOT NULL,
  outcome     TEXT NOT NULL,
  tool_name   TEXT,
  ref_task_id INTEGER,
  summary     TEXT,
  payload_ref TEXT,
  CONSTRAINT ck_audit_events_outcome CHECK (outcome IN ('success', 'failure', 'denied'))
);

CREATE INDEX idx_audit_events_trace_id ON audit_events (trace_id);
CREATE INDEX idx_audit_events_timestamp ON audit_events (timestamp);
CREATE INDEX idx_audit_events_type ON audit_events (type);
CREATE INDEX idx_audit_events_outcome ON audit_events (outcome);
CREATE INDEX idx_audit_events_tool_name ON audit_events (tool_name);
CREATE INDEX idx_audit_events_ref_task_id ON audit_events (ref_task_id)
  WHERE ref_task_id IS NOT NULL;
