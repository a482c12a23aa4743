-- MyloWare (seed 003): LangGraph checkpoints and the human-in-the-loop approval log.
-- The seed's DDL as given, plus the foreign keys its relationship diagram draws
-- (runs ─► orchestration_checkpoints.run_id, runs ─► hitl_approvals.run_id) but its DDL omits.
-- Both cascade like the seed's own artifacts → runs key: they describe a run and mean
-- nothing without it.

CREATE TABLE orchestration_checkpoints (
  run_id    TEXT PRIMARY KEY REFERENCES runs(run_id) ON DELETE CASCADE,  -- FK added (seed diagram)
  state     JSONB NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
-- No extra index: the primary key already leads with the foreign key column.

COMMENT ON TABLE orchestration_checkpoints IS 'The latest LangGraph state snapshot of each run, so an interrupted run can resume (at most one per run).';
COMMENT ON COLUMN orchestration_checkpoints.run_id IS 'The run this checkpoint belongs to; primary key, so each run keeps only its latest snapshot.';
COMMENT ON COLUMN orchestration_checkpoints.state IS 'The serialized LangGraph graph state as JSON.';
COMMENT ON COLUMN orchestration_checkpoints.updated_at IS 'When the snapshot was last written.';

CREATE TABLE hitl_approvals (
  id SERIAL PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,  -- FK added (seed diagram)
  gate TEXT NOT NULL,
  approver_ip TEXT,
  approver TEXT,
  metadata JSON,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE INDEX idx_hitl_approvals_run_id ON hitl_approvals(run_id);

COMMENT ON TABLE hitl_approvals IS 'Audit log of human-in-the-loop approvals: who let a run pass which gate, and from where.';
COMMENT ON COLUMN hitl_approvals.id IS 'Approval identifier from a SERIAL sequence (the seed''s choice; the other tables use UUIDs).';
COMMENT ON COLUMN hitl_approvals.run_id IS 'The run whose gate was approved; deleting the run deletes its approvals.';
COMMENT ON COLUMN hitl_approvals.gate IS 'Name of the approval gate in the workflow, e.g. before publishing.';
COMMENT ON COLUMN hitl_approvals.approver_ip IS 'IP address the approval came from, kept for auditing.';
COMMENT ON COLUMN hitl_approvals.approver IS 'Identity of the person who approved, if known.';
COMMENT ON COLUMN hitl_approvals.metadata IS 'Extra approval details as JSON (plain json, not jsonb, as in the seed: stored verbatim).';
COMMENT ON COLUMN hitl_approvals.created_at IS 'When the approval was given.';
