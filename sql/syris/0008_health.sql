-- SYRIS (seed 004): heartbeat records and incidents.
-- SQLite dialect; the PostgreSQL conventions are in 0001_events.sql.

CREATE TABLE system_health (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  recorded_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  component   TEXT NOT NULL,
  status      TEXT NOT NULL,
  details     TEXT CHECK (details IS NULL OR json_valid(details)),
  CONSTRAINT ck_system_health_status CHECK (status IN ('ok', 'degraded', 'down'))
);

CREATE INDEX idx_system_health_recorded_at ON system_health (recorded_at);

CREATE TABLE alarms (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  dedupe_key  TEXT NOT NULL,
  severity    TEXT NOT NULL,
  status      TEXT NOT NULL DEFAULT 'open',
  title       TEXT NOT NULL,
  opened_at   TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  resolved_at TIMESTAMP,
  CONSTRAINT ck_alarms_status CHECK (status IN ('open', 'acknowledged', 'resolved'))
);

CREATE INDEX idx_alarms_status ON alarms (status);
-- One open alarm per incident key; once resolved, the same key may open a new alarm.
CREATE UNIQUE INDEX uq_alarms_dedupe_key_open ON alarms (dedupe_key) WHERE status = 'open';
