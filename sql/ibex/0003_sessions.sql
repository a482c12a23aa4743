-- ibex_core (seed 001), part 3: what agents run (directives, sessions, checkpoints).

CREATE TABLE directives (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id          uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            text        NOT NULL,
    description     text,
    content         text        NOT NULL,
    content_hash    text        NOT NULL,
    version_number  integer     NOT NULL,
    status          text        NOT NULL DEFAULT 'draft',
    is_published    boolean     NOT NULL DEFAULT false,
    tags            text[],
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz,
    CONSTRAINT directives_org_id_name_version_number_key UNIQUE (org_id, name, version_number),
    CONSTRAINT directives_status_valid CHECK (status IN ('draft', 'review', 'active', 'deprecated', 'revoked')),
    CONSTRAINT directives_version_number_positive CHECK (version_number > 0)
);

-- At most one active version per name; drafts and old versions may repeat.
CREATE UNIQUE INDEX directives_one_active_per_name ON directives (org_id, name) WHERE status = 'active';

CREATE TRIGGER directives_set_updated_at BEFORE UPDATE ON directives
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

COMMENT ON TABLE directives IS 'Versioned directives (system instructions) for agents; at most one active version per name.';
COMMENT ON COLUMN directives.id IS 'Directive version id.';
COMMENT ON COLUMN directives.org_id IS 'Organization that owns the directive.';
COMMENT ON COLUMN directives.name IS 'Directive name, shared by all its versions.';
COMMENT ON COLUMN directives.description IS 'What the directive is for.';
COMMENT ON COLUMN directives.content IS 'The instruction text given to agents.';
COMMENT ON COLUMN directives.content_hash IS 'Hash of content, to detect identical versions.';
COMMENT ON COLUMN directives.version_number IS 'Version of this directive name, counting from 1.';
COMMENT ON COLUMN directives.status IS 'Review state: draft, review, active, deprecated or revoked.';
COMMENT ON COLUMN directives.is_published IS 'Whether the version is published to the marketplace.';
COMMENT ON COLUMN directives.tags IS 'Free-form labels of the directive.';
COMMENT ON COLUMN directives.created_at IS 'When the row was inserted.';
COMMENT ON COLUMN directives.updated_at IS 'When the row last changed; kept current by the set_updated_at trigger.';
COMMENT ON COLUMN directives.deleted_at IS 'Soft-delete time; NULL while the row is live.';

CREATE TABLE sessions (
    id                   uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id               uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    agent_id             uuid        NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    user_id              uuid        REFERENCES users (id) ON DELETE SET NULL,
    directive_id         uuid        REFERENCES directives (id) ON DELETE SET NULL,
    status               text        NOT NULL DEFAULT 'initializing',
    started_at           timestamptz NOT NULL DEFAULT now(),
    last_heartbeat_at    timestamptz,
    completed_at         timestamptz,
    checkpoint_sequence  integer     NOT NULL DEFAULT 0,
    total_turns          integer     NOT NULL DEFAULT 0,
    total_tokens_used    bigint      NOT NULL DEFAULT 0,
    loop_suspected       boolean     NOT NULL DEFAULT false,
    metadata             jsonb       NOT NULL DEFAULT '{}'::jsonb,
    CONSTRAINT sessions_status_valid CHECK (
        status IN ('initializing', 'active', 'suspended', 'resuming', 'completed', 'failed', 'abandoned')
    ),
    CONSTRAINT sessions_counters_nonnegative CHECK (
        checkpoint_sequence >= 0 AND total_turns >= 0 AND total_tokens_used >= 0
    )
);

CREATE INDEX sessions_org_id_idx ON sessions (org_id);
CREATE INDEX sessions_agent_id_idx ON sessions (agent_id);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
CREATE INDEX sessions_directive_id_idx ON sessions (directive_id);
-- The stale-session sweep only looks at active sessions; the index holds nothing else.
CREATE INDEX sessions_active_heartbeat_idx ON sessions (last_heartbeat_at) WHERE status = 'active';

COMMENT ON TABLE sessions IS 'Agent sessions; the heartbeat index finds active sessions that stopped reporting.';
COMMENT ON COLUMN sessions.id IS 'Session id.';
COMMENT ON COLUMN sessions.org_id IS 'Organization the session runs in.';
COMMENT ON COLUMN sessions.agent_id IS 'Agent that runs the session.';
COMMENT ON COLUMN sessions.user_id IS 'User who started the session, if a person did.';
COMMENT ON COLUMN sessions.directive_id IS 'Directive version the session follows, if any.';
COMMENT ON COLUMN sessions.status IS 'Lifecycle: initializing, active, suspended, resuming, completed, failed or abandoned.';
COMMENT ON COLUMN sessions.started_at IS 'When the session began.';
COMMENT ON COLUMN sessions.last_heartbeat_at IS 'Last liveness signal from the agent.';
COMMENT ON COLUMN sessions.completed_at IS 'When the session ended, whatever the outcome.';
COMMENT ON COLUMN sessions.checkpoint_sequence IS 'Sequence number of the latest checkpoint taken.';
COMMENT ON COLUMN sessions.total_turns IS 'Conversation turns so far.';
COMMENT ON COLUMN sessions.total_tokens_used IS 'LLM tokens consumed by the session so far.';
COMMENT ON COLUMN sessions.loop_suspected IS 'Set when the agent seems stuck repeating itself.';
COMMENT ON COLUMN sessions.metadata IS 'Arbitrary extra attributes as a JSON object.';

CREATE TABLE checkpoints (
    id                uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id        uuid        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    -- Copied from the session so that row-level security needs no join.
    org_id            uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    sequence_number   integer     NOT NULL,
    state             jsonb       NOT NULL,
    state_hash        text        NOT NULL,
    state_size_bytes  integer     NOT NULL,
    is_valid          boolean     NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT checkpoints_session_id_sequence_number_key UNIQUE (session_id, sequence_number),
    CONSTRAINT checkpoints_numbers_nonnegative CHECK (sequence_number >= 0 AND state_size_bytes >= 0)
);

CREATE INDEX checkpoints_org_id_idx ON checkpoints (org_id);
-- Resuming reads the newest valid checkpoint of one session: this index answers it without a sort.
CREATE INDEX checkpoints_latest_valid_idx ON checkpoints (session_id, sequence_number DESC) WHERE is_valid;

COMMENT ON TABLE checkpoints IS 'Session snapshots; a session resumes from its latest valid checkpoint.';
COMMENT ON COLUMN checkpoints.id IS 'Checkpoint id.';
COMMENT ON COLUMN checkpoints.session_id IS 'Session the snapshot belongs to.';
COMMENT ON COLUMN checkpoints.org_id IS 'Organization of the session, copied here for row-level security.';
COMMENT ON COLUMN checkpoints.sequence_number IS 'Position of the checkpoint within its session.';
COMMENT ON COLUMN checkpoints.state IS 'The serialised session state.';
COMMENT ON COLUMN checkpoints.state_hash IS 'Hash of state, to verify it on resume.';
COMMENT ON COLUMN checkpoints.state_size_bytes IS 'Size of the serialised state in bytes.';
COMMENT ON COLUMN checkpoints.is_valid IS 'False once the checkpoint is known to be corrupt or unusable.';
COMMENT ON COLUMN checkpoints.created_at IS 'When the snapshot was taken.';
