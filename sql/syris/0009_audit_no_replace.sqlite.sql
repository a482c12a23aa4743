-- SYRIS (seed 004): audit_events stays append-only against REPLACE too (SQLite variant; PostgreSQL has
-- no REPLACE, and its INSERT ... ON CONFLICT DO UPDATE fires the UPDATE trigger of 0005).
-- INSERT OR REPLACE and REPLACE INTO delete the row they conflict with without firing DELETE triggers
-- (unless PRAGMA recursive_triggers is on, which dbkit.sqlite sets on every connection as well). This
-- trigger refuses, before the insert, any row whose id is already taken: a replacement, never an append.

CREATE TRIGGER audit_events_no_replace
BEFORE INSERT ON audit_events
WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.id)
BEGIN
  SELECT RAISE(ABORT, 'audit_events is append-only: REPLACE of an existing row is not allowed');
END;
