-- dbkit:no-transaction
-- MyloWare (seed 003): GIN indexes for the containment queries run against these columns
-- (`dbkit lint`: jsonb-containment-without-gin). The notebooks ask `runs.payload @> ...` (runs by
-- request options) and `artifacts.retrieval_trace @> ...` (retrievals that cited a document); without
-- GIN each such query reads and decompresses every row's document.
-- jsonb_path_ops: smaller than the default jsonb_ops and serves @>, @? and @@, which is what these
-- columns are asked; key existence (`?`) would need jsonb_ops.
-- CONCURRENTLY, so that a live database keeps writing to runs and artifacts while the indexes build; it
-- cannot run inside a transaction, hence the marker on the first line, and IF NOT EXISTS lets a run cut
-- short be run again (`dbkit lint` reports an index such a cut leaves invalid).

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_runs_payload
  ON runs USING gin (payload jsonb_path_ops);

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_artifacts_retrieval_trace
  ON artifacts USING gin (retrieval_trace jsonb_path_ops);

COMMENT ON INDEX idx_runs_payload IS 'Serves payload @> ... (runs by the options of their request).';
COMMENT ON INDEX idx_artifacts_retrieval_trace IS 'Serves retrieval_trace @> ... (retrievals that cited a given document).';
