-- SYRIS (seed 004): audit_events is append-only, enforced by the database (SQLite variant;
-- 0005_audit_append_only.postgresql.sql does the same on PostgreSQL).
-- RAISE(ABORT, ...) undoes the statement and fails it with SQLITE_CONSTRAINT, which Python
-- reports as sqlite3.IntegrityError.

CREATE TRIGGER audit_events_no_update
BEFORE UPDATE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE is not allowed');
END;

CREATE TRIGGER audit_events_no_delete
BEFORE DELETE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit_events is append-only: DELETE is not allowed');
END;
