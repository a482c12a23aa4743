-- SYRIS (seed 004): table and column comments, PostgreSQL only (SQLite has no COMMENT ON).
-- Numbered 0099 so that it runs after every table; the notebooks read these from the catalog.

COMMENT ON TABLE events IS 'Inbound events after normalisation, one row per event from any channel.';
COMMENT ON COLUMN events.id IS 'Event identifier (identity on PostgreSQL, AUTOINCREMENT rowid on SQLite).';
COMMENT ON COLUMN events.trace_id IS 'Trace that follows this event through routing, tasks, tool calls and audit.';
COMMENT ON COLUMN events.channel IS 'Channel the event arrived on, e.g. a chat, email or webhook connector.';
COMMENT ON COLUMN events.source IS 'Sender or system within the channel that produced the event, if known.';
COMMENT ON COLUMN events.event_type IS 'Normalised kind of event, which routing decides on.';
COMMENT ON COLUMN events.payload IS 'The normalised event body as JSON (TEXT on SQLite).';
COMMENT ON COLUMN events.dedupe_key IS 'Optional key that makes re-delivery of the same event a no-op (unique when set).';
COMMENT ON COLUMN events.ingested_at IS 'When the event was stored.';

COMMENT ON TABLE routing_decisions IS 'The routing outcome for each trace: exactly one decision per trace.';
COMMENT ON COLUMN routing_decisions.id IS 'Decision identifier.';
COMMENT ON COLUMN routing_decisions.event_id IS 'The event that was routed; deleting the event deletes its decision.';
COMMENT ON COLUMN routing_decisions.trace_id IS 'The trace decided on; unique, since a trace is routed once.';
COMMENT ON COLUMN routing_decisions.route IS 'Where the event was sent, e.g. a workflow or a direct reply.';
COMMENT ON COLUMN routing_decisions.reason IS 'Why the router chose this route, for debugging and audit.';
COMMENT ON COLUMN routing_decisions.decided_at IS 'When the decision was taken.';

COMMENT ON TABLE tasks IS 'Persisted workflow instances that survive restarts and can sleep until a wake time.';
COMMENT ON COLUMN tasks.id IS 'Task identifier.';
COMMENT ON COLUMN tasks.trace_id IS 'Trace of the event that started the task.';
COMMENT ON COLUMN tasks.name IS 'Name of the workflow the task runs.';
COMMENT ON COLUMN tasks.status IS 'Lifecycle state: pending, running, waiting, succeeded, failed or cancelled.';
COMMENT ON COLUMN tasks.attempts IS 'How many times the task has been started, retries included.';
COMMENT ON COLUMN tasks.next_wake_time IS 'When a waiting task should resume; NULL when it is not sleeping.';
COMMENT ON COLUMN tasks.created_at IS 'When the task was created.';
COMMENT ON COLUMN tasks.updated_at IS 'When the task last changed; the application sets it.';

COMMENT ON TABLE steps IS 'Individually resumable units of work within a task, run in seq order.';
COMMENT ON COLUMN steps.id IS 'Step identifier.';
COMMENT ON COLUMN steps.task_id IS 'The task the step belongs to; deleting the task deletes its steps.';
COMMENT ON COLUMN steps.seq IS 'Position of the step within its task.';
COMMENT ON COLUMN steps.name IS 'Name of the step within the workflow.';
COMMENT ON COLUMN steps.status IS 'Lifecycle state of the step, as recorded by the workflow engine.';
COMMENT ON COLUMN steps.idempotency_key IS 'Optional key that makes the step''s side effect run once (unique when set).';
COMMENT ON COLUMN steps.input IS 'The step''s input as JSON.';
COMMENT ON COLUMN steps.output IS 'The step''s output as JSON, once it has finished.';
COMMENT ON COLUMN steps.started_at IS 'When the step started; NULL if it has not.';
COMMENT ON COLUMN steps.finished_at IS 'When the step finished; NULL while pending or running.';

COMMENT ON TABLE tool_calls IS 'A record of every tool invocation, retries included.';
COMMENT ON COLUMN tool_calls.id IS 'Tool call identifier.';
COMMENT ON COLUMN tool_calls.trace_id IS 'Trace on whose behalf the tool was called.';
COMMENT ON COLUMN tool_calls.step_id IS 'The step that made the call, if any; cleared when the step is deleted.';
COMMENT ON COLUMN tool_calls.tool_name IS 'Name of the tool that was invoked.';
COMMENT ON COLUMN tool_calls.arguments IS 'The arguments passed to the tool, as JSON.';
COMMENT ON COLUMN tool_calls.idempotency_key IS 'Key shared by retries of the same logical call (not unique here; see idempotency_outcomes).';
COMMENT ON COLUMN tool_calls.created_at IS 'When the tool was invoked.';

COMMENT ON TABLE tool_results IS 'The final outcome of each tool call, at most one per call.';
COMMENT ON COLUMN tool_results.tool_call_id IS 'The tool call this result belongs to (primary key and foreign key).';
COMMENT ON COLUMN tool_results.status IS 'How the call ended: ok, error or timeout.';
COMMENT ON COLUMN tool_results.result IS 'The tool''s return value as JSON, when it succeeded.';
COMMENT ON COLUMN tool_results.error IS 'The error message, when the call failed or timed out.';
COMMENT ON COLUMN tool_results.completed_at IS 'When the call completed.';

COMMENT ON TABLE idempotency_outcomes IS 'Stable outcomes by idempotency key, so a retry or restart replays the result instead of the effect.';
COMMENT ON COLUMN idempotency_outcomes.idempotency_key IS 'The key of the operation whose outcome is stored.';
COMMENT ON COLUMN idempotency_outcomes.outcome IS 'The recorded outcome as JSON, returned to any retry with the same key.';
COMMENT ON COLUMN idempotency_outcomes.created_at IS 'When the outcome was recorded.';
COMMENT ON COLUMN idempotency_outcomes.expires_at IS 'When the outcome may be forgotten; NULL keeps it forever.';

COMMENT ON TABLE artifacts IS 'Encrypted, redacted payloads that audit events refer to by ref_id.';
COMMENT ON COLUMN artifacts.id IS 'Artifact identifier.';
COMMENT ON COLUMN artifacts.ref_id IS 'Stable reference that audit_events.payload_ref holds; unique.';
COMMENT ON COLUMN artifacts.content_type IS 'MIME type of the plaintext before encryption, if known.';
COMMENT ON COLUMN artifacts.ciphertext IS 'The encrypted payload (bytea here, BLOB on SQLite).';
COMMENT ON COLUMN artifacts.redacted IS 'Whether sensitive fields were redacted before encryption.';
COMMENT ON COLUMN artifacts.created_at IS 'When the artifact was stored.';

COMMENT ON TABLE audit_events IS 'Append-only operational history: triggers refuse UPDATE, DELETE and TRUNCATE.';
COMMENT ON COLUMN audit_events.id IS 'Audit event identifier, increasing in insertion order.';
COMMENT ON COLUMN audit_events.trace_id IS 'Trace the audited action belongs to.';
COMMENT ON COLUMN audit_events.timestamp IS 'When the audited action happened.';
COMMENT ON COLUMN audit_events.type IS 'Kind of action audited, e.g. a tool call or an approval.';
COMMENT ON COLUMN audit_events.outcome IS 'Result of the action: success, failure or denied.';
COMMENT ON COLUMN audit_events.tool_name IS 'The tool involved, for tool-related events.';
COMMENT ON COLUMN audit_events.ref_task_id IS 'The task involved, if any (tasks.id by value, no foreign key: audit rows outlive tasks).';
COMMENT ON COLUMN audit_events.summary IS 'Short human-readable description of what happened.';
COMMENT ON COLUMN audit_events.payload_ref IS 'The artifacts.ref_id of the encrypted full payload, if one was kept.';

COMMENT ON TABLE approvals IS 'Gate decisions waiting for or given by a human, pending and resolved.';
COMMENT ON COLUMN approvals.id IS 'Approval identifier.';
COMMENT ON COLUMN approvals.trace_id IS 'Trace of the action awaiting approval.';
COMMENT ON COLUMN approvals.action IS 'The action that needs approval, described for the approver.';
COMMENT ON COLUMN approvals.risk IS 'Risk level the policy assigned to the action, if any.';
COMMENT ON COLUMN approvals.status IS 'State of the request: pending, approved, denied or expired.';
COMMENT ON COLUMN approvals.requested_at IS 'When approval was requested.';
COMMENT ON COLUMN approvals.expires_at IS 'When a still-pending request expires; NULL means never.';
COMMENT ON COLUMN approvals.decided_at IS 'When the request was approved or denied.';
COMMENT ON COLUMN approvals.decided_by IS 'Who approved or denied the request.';

COMMENT ON TABLE schedules IS 'Persistent schedule definitions, each a cron expression or a fixed interval.';
COMMENT ON COLUMN schedules.id IS 'Schedule identifier.';
COMMENT ON COLUMN schedules.name IS 'Unique name of the schedule.';
COMMENT ON COLUMN schedules.cron IS 'Cron expression, when the schedule is not interval-based.';
COMMENT ON COLUMN schedules.interval_s IS 'Interval between runs in seconds, when the schedule is not cron-based.';
COMMENT ON COLUMN schedules.payload IS 'JSON handed to each scheduled run.';
COMMENT ON COLUMN schedules.enabled IS 'Whether the schedule fires (boolean here, 0/1 integer on SQLite).';
COMMENT ON COLUMN schedules.next_run_at IS 'When the schedule fires next.';
COMMENT ON COLUMN schedules.last_run_at IS 'When the schedule last fired.';

COMMENT ON TABLE watcher_state IS 'Per-watcher tick, error and deduplication state, one row per watcher.';
COMMENT ON COLUMN watcher_state.watcher_id IS 'Name of the watcher.';
COMMENT ON COLUMN watcher_state.last_tick_at IS 'When the watcher last ran.';
COMMENT ON COLUMN watcher_state.last_error IS 'The watcher''s most recent error message, if any.';
COMMENT ON COLUMN watcher_state.error_count IS 'Number of errors the watcher has hit.';
COMMENT ON COLUMN watcher_state.dedup_state IS 'Whatever the watcher remembers to avoid reporting the same thing twice, as JSON.';

COMMENT ON TABLE rules IS 'IFTTT-style rules: when the condition matches, perform the action.';
COMMENT ON COLUMN rules.id IS 'Rule identifier.';
COMMENT ON COLUMN rules.name IS 'Human-readable rule name.';
COMMENT ON COLUMN rules.condition IS 'The condition to match, as JSON.';
COMMENT ON COLUMN rules.action IS 'The action to perform when the condition matches, as JSON.';
COMMENT ON COLUMN rules.enabled IS 'Whether the rule is active (boolean here, 0/1 integer on SQLite).';
COMMENT ON COLUMN rules.priority IS 'Evaluation order among matching rules (ordered by this value).';

COMMENT ON TABLE system_health IS 'Periodic heartbeat records written by the HeartbeatWatcher.';
COMMENT ON COLUMN system_health.id IS 'Heartbeat record identifier.';
COMMENT ON COLUMN system_health.recorded_at IS 'When the heartbeat was taken.';
COMMENT ON COLUMN system_health.component IS 'The component whose health was checked.';
COMMENT ON COLUMN system_health.status IS 'Health of the component: ok, degraded or down.';
COMMENT ON COLUMN system_health.details IS 'Measurements behind the status, as JSON.';

COMMENT ON TABLE alarms IS 'Open and resolved incidents, at most one open alarm per dedupe key.';
COMMENT ON COLUMN alarms.id IS 'Alarm identifier.';
COMMENT ON COLUMN alarms.dedupe_key IS 'Incident key; unique among open alarms, so a recurring problem does not raise a second one.';
COMMENT ON COLUMN alarms.severity IS 'How serious the incident is, as the raising watcher judged it.';
COMMENT ON COLUMN alarms.status IS 'State of the alarm: open, acknowledged or resolved.';
COMMENT ON COLUMN alarms.title IS 'One-line description of the incident.';
COMMENT ON COLUMN alarms.opened_at IS 'When the alarm was raised.';
COMMENT ON COLUMN alarms.resolved_at IS 'When the alarm was resolved; NULL while it is not.';
