-- SYRIS (seed 004): persisted workflow instances and their resumable steps.
-- SQLite dialect; the PostgreSQL conventions are in 0001_events.sql.

CREATE TABLE tasks (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  trace_id       TEXT NOT NULL,
  name           TEXT NOT NULL,
  status         TEXT NOT NULL,
  attempts       INTEGER NOT NULL DEFAULT 0,
  next_wake_time TIMESTAMP,
  created_at     TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at     TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT ck_tasks_status
    CHECK (status IN ('pending', 'running', 'waiting', 'succeeded', 'failed', 'cancelled'))
);

CREATE INDEX idx_tasks_status ON tasks (status);
CREATE INDEX idx_tasks_trace_id ON tasks (trace_id);
CREATE INDEX idx_tasks_updated_at ON tasks (updated_at);
-- Only sleeping tasks have a wake time; the scheduler scans just those.
CREATE INDEX idx_tasks_next_wake_time ON tasks (next_wake_time) WHERE next_wake_time IS NOT NULL;

CREATE TABLE steps (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id         INTEGER NOT NULL,
  seq             INTEGER NOT NULL,
  name            TEXT NOT NULL,
  status          TEXT NOT NULL,
  idempotency_key TEXT,
  input           TEXT CHECK (input IS NULL OR json_valid(input)),
  output          TEXT CHECK (output IS NULL OR json_valid(output)),
  started_at      TIMESTAMP,
  finished_at     TIMESTAMP,
  CONSTRAINT fk_steps_task_id FOREIGN KEY (task_id) REFERENCES tasks (id) ON DELETE CASCADE
);

CREATE INDEX idx_steps_task_id ON steps (task_id);
CREATE INDEX idx_steps_status ON steps (status);
-- A step with an idempotency key runs its side effect once, across retries and restarts.
CREATE UNIQUE INDEX uq_steps_idempotency_key ON steps (idempotency_key)
  WHERE idempotency_key IS NOT NULL;
