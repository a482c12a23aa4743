-- SYRIS (seed 004): audit_events is append-only, enforced by the database (PostgreSQL variant;
-- 0005_audit_append_only.sqlite.sql does the same on SQLite).
-- SQLSTATE 23001 (restrict_violation) is an integrity error, as on SQLite: psycopg raises
-- psycopg.errors.RestrictViolation and SQLAlchemy IntegrityError on both engines.

CREATE FUNCTION audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'restrict_violation';
END;
$$;

COMMENT ON FUNCTION audit_events_append_only() IS 'Trigger function that refuses every UPDATE, DELETE and TRUNCATE of audit_events.';

CREATE TRIGGER audit_events_no_update
BEFORE UPDATE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

CREATE TRIGGER audit_events_no_delete
BEFORE DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- TRUNCATE fires no row triggers; SQLite has no TRUNCATE, so this one is PostgreSQL only.
CREATE TRIGGER audit_events_no_truncate
BEFORE TRUNCATE ON audit_events
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
