-- SYRIS (seed 004): tool invocations, their outcomes, and the idempotency outcome store.
-- SQLite dialect; the PostgreSQL conventions are in 0001_events.sql.

CREATE TABLE tool_calls (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  trace_id        TEXT NOT NULL,
  step_id         INTEGER,
  tool_name       TEXT NOT NULL,
  arguments       TEXT CHECK (arguments IS NULL OR json_valid(arguments)),
  idempotency_key TEXT,
  created_at      TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  -- A tool call outlives the step that made it: it is a record, so the link is cleared.
  CONSTRAINT fk_tool_calls_step_id FOREIGN KEY (step_id) REFERENCES steps (id) ON DELETE SET NULL
);

CREATE INDEX idx_tool_calls_trace_id ON tool_calls (trace_id);
-- Not unique: every retry of the same logical call is recorded; idempotency_outcomes dedups.
CREATE INDEX idx_tool_calls_idempotency_key ON tool_calls (idempotency_key);
CREATE INDEX idx_tool_calls_created_at ON tool_calls (created_at);
-- Not in the catalogue's list: every foreign key column gets an index.
CREATE INDEX idx_tool_calls_step_id ON tool_calls (step_id);

CREATE TABLE tool_results (
  tool_call_id INTEGER NOT NULL PRIMARY KEY,
  status       TEXT NOT NULL,
  result       TEXT CHECK (result IS NULL OR json_valid(result)),
  error        TEXT,
  completed_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT ck_tool_results_status CHECK (status IN ('ok', 'error', 'timeout')),
  CONSTRAINT fk_tool_results_tool_call_id FOREIGN KEY (tool_call_id)
    REFERENCES tool_calls (id) ON DELETE CASCADE
);

CREATE TABLE idempotency_outcomes (
  -- NOT NULL spelled out: SQLite lets NULL into a primary key that is not INTEGER.
  idempotency_key TEXT NOT NULL PRIMARY KEY,
  outcome         TEXT NOT NULL CHECK (json_valid(outcome)),
  created_at      TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  expires_at      TIMESTAMP
);
