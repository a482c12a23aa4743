-- SYRIS (seed 004): schedules, per-watcher state and IFTTT-style rules.
-- SQLite dialect; the PostgreSQL conventions are in 0001_events.sql.

CREATE TABLE schedules (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  name        TEXT NOT NULL,
  cron        TEXT,
  interval_s  INTEGER,
  payload     TEXT CHECK (payload IS NULL OR json_valid(payload)),
  enabled     INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  next_run_at TIMESTAMP,
  last_run_at TIMESTAMP,
  CONSTRAINT uq_schedules_name UNIQUE (name),
  -- A schedule is either a cron expression or a fixed interval, never both or neither.
  CONSTRAINT ck_schedules_cron_or_interval CHECK ((cron IS NULL) <> (interval_s IS NULL)),
  CONSTRAINT ck_schedules_interval_s CHECK (interval_s > 0)
);

-- The scheduler only ever asks "which enabled schedules are due?". The predicate is written
-- `enabled = 1` because that is what SQLAlchemy emits on SQLite, and SQLite uses a partial
-- index only when the query repeats its WHERE term; PostgreSQL gets `enabled = TRUE`.
CREATE INDEX idx_schedules_next_run_at ON schedules (next_run_at) WHERE enabled = 1;

CREATE TABLE watcher_state (
  -- NOT NULL spelled out: SQLite lets NULL into a primary key that is not INTEGER.
  watcher_id   TEXT NOT NULL PRIMARY KEY,
  last_tick_at TIMESTAMP,
  last_error   TEXT,
  error_count  INTEGER NOT NULL DEFAULT 0,
  dedup_state  TEXT CHECK (dedup_state IS NULL OR json_valid(dedup_state))
);

CREATE TABLE rules (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  name      TEXT NOT NULL,
  condition TEXT NOT NULL CHECK (json_valid(condition)),
  action    TEXT NOT NULL CHECK (json_valid(action)),
  enabled   INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  priority  INTEGER NOT NULL DEFAULT 100
);

CREATE INDEX idx_rules_enabled ON rules (enabled);
CREATE INDEX idx_rules_priority ON rules (priority);
