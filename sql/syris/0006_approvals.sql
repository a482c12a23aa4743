-- SYRIS (seed 004): gate decisions that wait for a human, pending and resolved.
-- SQLite dialect; the PostgreSQL conventions are in 0001_events.sql.

CREATE TABLE approvals (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  trace_id     TEXT NOT NULL,
  action       TEXT NOT NULL,
  risk         TEXT,
  status       TEXT NOT NULL DEFAULT 'pending',
  requested_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  expires_at   TIMESTAMP,
  decided_at   TIMESTAMP,
  decided_by   TEXT,
  CONSTRAINT ck_approvals_status CHECK (status IN ('pending', 'approved', 'denied', 'expired'))
);

CREATE INDEX idx_approvals_status ON approvals (status);
CREATE INDEX idx_approvals_trace_id ON approvals (trace_id);
CREATE INDEX idx_approvals_expires_at ON approvals (expires_at);
