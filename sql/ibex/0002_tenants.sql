-- ibex_core (seed 001), part 2: tenants and who acts in them (organizations, users, agents, tokens).

CREATE TABLE organizations (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text        NOT NULL,
    slug        text        NOT NULL,
    tier        text        NOT NULL DEFAULT 'free',
    status      text        NOT NULL DEFAULT 'active',
    settings    jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz,
    CONSTRAINT organizations_slug_key UNIQUE (slug),
    CONSTRAINT organizations_slug_format CHECK (slug ~ '^[a-z0-9-]+$'),
    CONSTRAINT organizations_tier_valid CHECK (tier IN ('free', 'pro', 'enterprise')),
    CONSTRAINT organizations_status_valid CHECK (status IN ('active', 'suspended', 'cancelled', 'trial'))
);

CREATE TRIGGER organizations_set_updated_at BEFORE UPDATE ON organizations
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

COMMENT ON TABLE organizations IS 'Tenants of the memory engine; row-level security scopes every other table to one of them.';
COMMENT ON COLUMN organizations.id IS 'Organization id; the value of app.current_org_id under row-level security.';
COMMENT ON COLUMN organizations.name IS 'Display name of the organization.';
COMMENT ON COLUMN organizations.slug IS 'URL-safe unique handle: lowercase letters, digits and hyphens.';
COMMENT ON COLUMN organizations.tier IS 'Billing tier: free, pro or enterprise.';
COMMENT ON COLUMN organizations.status IS 'Lifecycle state: active, suspended, cancelled or trial.';
COMMENT ON COLUMN organizations.settings IS 'Organization-wide settings as a JSON object.';
COMMENT ON COLUMN organizations.created_at IS 'When the row was inserted.';
COMMENT ON COLUMN organizations.updated_at IS 'When the row last changed; kept current by the set_updated_at trigger.';
COMMENT ON COLUMN organizations.deleted_at IS 'Soft-delete time; NULL while the row is live.';

CREATE TABLE users (
    id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id         uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email          text        NOT NULL,
    name           text        NOT NULL,
    role           text        NOT NULL DEFAULT 'member',
    status         text        NOT NULL DEFAULT 'active',
    mfa_enabled    boolean     NOT NULL DEFAULT false,
    last_login_at  timestamptz,
    preferences    jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz,
    -- Also the index behind the org_id foreign key: it leads with org_id.
    CONSTRAINT users_org_id_email_key UNIQUE (org_id, email),
    CONSTRAINT users_email_format CHECK (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
    CONSTRAINT users_role_valid CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    CONSTRAINT users_status_valid CHECK (status IN ('active', 'invited', 'suspended', 'deactivated'))
);

CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

COMMENT ON TABLE users IS 'People who belong to an organization; the email is unique within it.';
COMMENT ON COLUMN users.id IS 'User id.';
COMMENT ON COLUMN users.org_id IS 'Organization the user belongs to.';
COMMENT ON COLUMN users.email IS 'Login email, unique within the organization.';
COMMENT ON COLUMN users.name IS 'Display name of the user.';
COMMENT ON COLUMN users.role IS 'Permission level: owner, admin, member or viewer.';
COMMENT ON COLUMN users.status IS 'Account state: active, invited, suspended or deactivated.';
COMMENT ON COLUMN users.mfa_enabled IS 'Whether the user has multi-factor authentication turned on.';
COMMENT ON COLUMN users.last_login_at IS 'Time of the most recent login, if any.';
COMMENT ON COLUMN users.preferences IS 'Per-user interface preferences as a JSON object.';
COMMENT ON COLUMN users.created_at IS 'When the row was inserted.';
COMMENT ON COLUMN users.updated_at IS 'When the row last changed; kept current by the set_updated_at trigger.';
COMMENT ON COLUMN users.deleted_at IS 'Soft-delete time; NULL while the row is live.';

CREATE TABLE agents (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id          uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_by      uuid        REFERENCES users (id) ON DELETE SET NULL,
    name            text        NOT NULL,
    slug            text        NOT NULL,
    description     text,
    config          jsonb       NOT NULL DEFAULT '{}'::jsonb,
    status          text        NOT NULL DEFAULT 'active',
    tags            text[]      NOT NULL DEFAULT '{}'::text[],
    total_sessions  integer     NOT NULL DEFAULT 0,
    total_memories  integer     NOT NULL DEFAULT 0,
    last_active_at  timestamptz,
    metadata        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz,
    CONSTRAINT agents_org_id_slug_key UNIQUE (org_id, slug),
    CONSTRAINT agents_slug_format CHECK (slug ~ '^[a-z0-9-]+$'),
    CONSTRAINT agents_status_valid CHECK (status IN ('active', 'paused', 'suspended', 'archived')),
    CONSTRAINT agents_counters_nonnegative CHECK (total_sessions >= 0 AND total_memories >= 0)
);

CREATE INDEX agents_created_by_idx ON agents (created_by);
-- GIN answers tags @> ARRAY['x']; a btree could not.
CREATE INDEX agents_tags_idx ON agents USING gin (tags);

CREATE TRIGGER agents_set_updated_at BEFORE UPDATE ON agents
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

COMMENT ON TABLE agents IS 'AI agents of an organization; sessions and memories hang off them.';
COMMENT ON COLUMN agents.id IS 'Agent id.';
COMMENT ON COLUMN agents.org_id IS 'Organization that owns the agent.';
COMMENT ON COLUMN agents.created_by IS 'User who created the agent; NULL once that user is deleted.';
COMMENT ON COLUMN agents.name IS 'Display name of the agent.';
COMMENT ON COLUMN agents.slug IS 'URL-safe handle, unique within the organization.';
COMMENT ON COLUMN agents.description IS 'Free-text description of what the agent does.';
COMMENT ON COLUMN agents.config IS 'Agent configuration (model, limits, tools) as a JSON object.';
COMMENT ON COLUMN agents.status IS 'Lifecycle state: active, paused, suspended or archived.';
COMMENT ON COLUMN agents.tags IS 'Free-form labels; GIN-indexed for array containment (@>).';
COMMENT ON COLUMN agents.total_sessions IS 'Number of sessions the agent has run (denormalised counter).';
COMMENT ON COLUMN agents.total_memories IS 'Number of memories the agent holds (denormalised counter).';
COMMENT ON COLUMN agents.last_active_at IS 'Time of the agent''s most recent activity.';
COMMENT ON COLUMN agents.metadata IS 'Arbitrary extra attributes as a JSON object.';
COMMENT ON COLUMN agents.created_at IS 'When the row was inserted.';
COMMENT ON COLUMN agents.updated_at IS 'When the row last changed; kept current by the set_updated_at trigger.';
COMMENT ON COLUMN agents.deleted_at IS 'Soft-delete time; NULL while the row is live.';

CREATE TABLE tokens (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id        uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id       uuid        REFERENCES users (id) ON DELETE CASCADE,
    agent_id      uuid        REFERENCES agents (id) ON DELETE CASCADE,
    type          text        NOT NULL,
    hash          text        NOT NULL,
    prefix        text        NOT NULL,
    name          text        NOT NULL,
    permissions   bigint      NOT NULL,
    expires_at    timestamptz,
    is_revoked    boolean     NOT NULL DEFAULT false,
    revoked_at    timestamptz,
    last_used_at  timestamptz,
    use_count     bigint      NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tokens_hash_key UNIQUE (hash),
    CONSTRAINT tokens_type_valid CHECK (type IN ('pat', 'org_token', 'service_token', 'marketplace')),
    CONSTRAINT tokens_use_count_nonnegative CHECK (use_count >= 0)
);

-- The partial index below cannot serve ON DELETE CASCADE for revoked rows, so org_id gets a full one too.
CREATE INDEX tokens_org_id_idx ON tokens (org_id);
CREATE INDEX tokens_org_id_active_idx ON tokens (org_id) WHERE NOT is_revoked;
CREATE INDEX tokens_user_id_idx ON tokens (user_id);
CREATE INDEX tokens_agent_id_idx ON tokens (agent_id);

CREATE TRIGGER tokens_set_updated_at BEFORE UPDATE ON tokens
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

COMMENT ON TABLE tokens IS 'API tokens (personal, organization, service, marketplace); the plaintext is never stored.';
COMMENT ON COLUMN tokens.id IS 'Token id.';
COMMENT ON COLUMN tokens.org_id IS 'Organization the token grants access to.';
COMMENT ON COLUMN tokens.user_id IS 'User owning a personal token; NULL for other types.';
COMMENT ON COLUMN tokens.agent_id IS 'Agent a service token is bound to, if any.';
COMMENT ON COLUMN tokens.type IS 'Token kind: pat, org_token, service_token or marketplace.';
COMMENT ON COLUMN tokens.hash IS 'Hash of the secret, unique; the plaintext is shown once and dropped.';
COMMENT ON COLUMN tokens.prefix IS 'First characters of the secret, shown so users can recognise it.';
COMMENT ON COLUMN tokens.name IS 'Label the owner gave the token.';
COMMENT ON COLUMN tokens.permissions IS 'Granted permissions as a bitmap.';
COMMENT ON COLUMN tokens.expires_at IS 'Expiry time; NULL means the token never expires.';
COMMENT ON COLUMN tokens.is_revoked IS 'Whether the token was revoked; revoked tokens are refused.';
COMMENT ON COLUMN tokens.revoked_at IS 'When the token was revoked, if it was.';
COMMENT ON COLUMN tokens.last_used_at IS 'Time of the token''s most recent use.';
COMMENT ON COLUMN tokens.use_count IS 'Number of requests authenticated with the token.';
COMMENT ON COLUMN tokens.created_at IS 'When the row was inserted.';
COMMENT ON COLUMN tokens.updated_at IS 'When the row last changed; kept current by the set_updated_at trigger.';
