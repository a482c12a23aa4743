-- IRIS (seed 000): sprites, the councils that group them, the chains a council runs,
-- and the history of chain executions.
-- The runner sets search_path to iris, so every name below is unqualified.
-- Regexes avoid "(?:" groups on purpose: the models repeat these CHECKs, and SQLAlchemy
-- would read ":name" inside a CHECK's text as a bind parameter.

CREATE TABLE sprites (
    id                    uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    name                  varchar     NOT NULL,
    version               varchar     NOT NULL,
    role                  varchar     NOT NULL,
    capabilities          jsonb       NOT NULL,
    system_prompt         text        NOT NULL,
    protected             boolean     DEFAULT false,
    gate_authority        boolean     DEFAULT false,
    sprite_metadata       jsonb       NOT NULL,
    fingerprint_algorithm varchar     NOT NULL,
    fingerprint_hash      varchar     NOT NULL,
    created               timestamptz DEFAULT now(),
    CONSTRAINT uq_sprites_name UNIQUE (name),
    CONSTRAINT ck_sprites_name_sol_forge
        CHECK (name ~ '^SOL-FORGE-[A-Z0-9]+(-[A-Z0-9]+)*$'),
    CONSTRAINT ck_sprites_version_semver
        CHECK (version ~ '^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$'),
    CONSTRAINT ck_sprites_role
        CHECK (role IN ('architect', 'builder', 'reviewer', 'tester', 'guardian', 'scribe')),
    CONSTRAINT ck_sprites_capabilities_array
        CHECK (jsonb_typeof(capabilities) = 'array'),
    CONSTRAINT ck_sprites_system_prompt_length
        CHECK (char_length(system_prompt) <= 65536),
    CONSTRAINT ck_sprites_sprite_metadata_object
        CHECK (jsonb_typeof(sprite_metadata) = 'object'),
    CONSTRAINT ck_sprites_fingerprint_algorithm
        CHECK (fingerprint_algorithm IN ('blake3', 'sha256')),
    CONSTRAINT ck_sprites_fingerprint_hash
        CHECK (fingerprint_hash ~ '^[0-9a-f]{64}$')
);

CREATE TABLE councils (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    domain           varchar     NOT NULL,
    sprites          jsonb       NOT NULL,
    gate_agents      jsonb       NOT NULL,
    rules            jsonb,
    council_metadata jsonb,
    created_at       timestamptz DEFAULT now(),
    CONSTRAINT uq_councils_domain UNIQUE (domain),
    CONSTRAINT ck_councils_sprites_array CHECK (jsonb_typeof(sprites) = 'array'),
    CONSTRAINT ck_councils_gate_agents_array CHECK (jsonb_typeof(gate_agents) = 'array'),
    CONSTRAINT ck_councils_rules_array CHECK (jsonb_typeof(rules) = 'array'),
    CONSTRAINT ck_councils_council_metadata_object
        CHECK (jsonb_typeof(council_metadata) = 'object')
);

-- A chain belongs to its council: deleting the council deletes its chains.
CREATE TABLE chains (
    id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    council_id uuid        NOT NULL REFERENCES councils (id) ON DELETE CASCADE,
    name       varchar     NOT NULL,
    steps      jsonb       NOT NULL,
    gates      jsonb,
    timeout    varchar,
    created_at timestamptz DEFAULT now(),
    CONSTRAINT ck_chains_steps_array CHECK (jsonb_typeof(steps) = 'array'),
    CONSTRAINT ck_chains_gates_array CHECK (jsonb_typeof(gates) = 'array'),
    -- ISO 8601 duration: P, then at least one Y/M/W/D part or a T with at least one H/M/S part.
    CONSTRAINT ck_chains_timeout_iso8601
        CHECK (timeout ~ '^P(?!$)([0-9]+Y)?([0-9]+M)?([0-9]+W)?([0-9]+D)?(T(?=[0-9])([0-9]+H)?([0-9]+M)?([0-9]+([.,][0-9]+)?S)?)?$')
);

-- No foreign keys, as in the seed: history outlives the councils and chains it records.
CREATE TABLE execution_history (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    council_id    uuid        NOT NULL,
    chain_id      uuid        NOT NULL,
    status        varchar     NOT NULL,
    started_at    timestamptz NOT NULL,
    completed_at  timestamptz,
    duration_ms   integer,
    steps         jsonb,
    gates         jsonb,
    input_data    jsonb,
    output_data   jsonb,
    error_message text,
    created_at    timestamptz DEFAULT now(),
    CONSTRAINT ck_execution_history_status
        CHECK (status IN ('completed', 'failed', 'vetoed')),
    CONSTRAINT ck_execution_history_duration_ms CHECK (duration_ms >= 0),
    CONSTRAINT ck_execution_history_completed_at
        CHECK (completed_at >= started_at),
    CONSTRAINT ck_execution_history_steps_array CHECK (jsonb_typeof(steps) = 'array'),
    CONSTRAINT ck_execution_history_gates_array CHECK (jsonb_typeof(gates) = 'array')
);

-- The seed's seven indexes, under the seed's names. idx_sprites_name and idx_councils_domain
-- duplicate the indexes behind the UNIQUE constraints; the seed lists them, so they stay.
CREATE INDEX idx_sprites_name ON sprites (name);
CREATE INDEX idx_sprites_fingerprint ON sprites (fingerprint_hash);
CREATE INDEX idx_councils_domain ON councils (domain);
CREATE INDEX idx_chains_council_id ON chains (council_id);
CREATE INDEX idx_exec_history_council_id ON execution_history (council_id);
CREATE INDEX idx_exec_history_chain_id ON execution_history (chain_id);
CREATE INDEX idx_exec_history_status ON execution_history (status);
-- GIN (default jsonb_ops) serves the seed's containment query: capabilities @> '[{"name": "generate_code"}]'.
CREATE INDEX idx_sprites_capabilities ON sprites USING gin (capabilities);

COMMENT ON TABLE sprites IS 'Registered sprites: named, versioned agents with a role, capabilities, a system prompt and a content fingerprint.';
COMMENT ON COLUMN sprites.id IS 'Server-generated sprite identifier.';
COMMENT ON COLUMN sprites.name IS 'Unique sprite name in the SOL-FORGE pattern, e.g. SOL-FORGE-ARCHITECT.';
COMMENT ON COLUMN sprites.version IS 'Semantic version of the sprite definition (MAJOR.MINOR.PATCH, optional -prerelease and +build).';
COMMENT ON COLUMN sprites.role IS 'One of the six sprite roles: architect, builder, reviewer, tester, guardian, scribe.';
COMMENT ON COLUMN sprites.capabilities IS 'JSON array of capability objects {name, description, params}; GIN-indexed for @> queries.';
COMMENT ON COLUMN sprites.system_prompt IS 'System prompt given to the sprite, at most 65,536 characters.';
COMMENT ON COLUMN sprites.protected IS 'True when the sprite may not be modified or removed by ordinary operations.';
COMMENT ON COLUMN sprites.gate_authority IS 'True when the sprite may pass or veto gates in a chain.';
COMMENT ON COLUMN sprites.sprite_metadata IS 'JSON object with authorship, tags and timestamps.';
COMMENT ON COLUMN sprites.fingerprint_algorithm IS 'Hash algorithm of the fingerprint: blake3 or sha256.';
COMMENT ON COLUMN sprites.fingerprint_hash IS 'Content fingerprint as 64 lowercase hex characters; indexed for lookups.';
COMMENT ON COLUMN sprites.created IS 'When the sprite row was created (server default now()).';

COMMENT ON TABLE councils IS 'Councils: a domain namespace grouping sprites, their gate agents and the rules they follow.';
COMMENT ON COLUMN councils.id IS 'Server-generated council identifier.';
COMMENT ON COLUMN councils.domain IS 'Unique namespace identifier of the council.';
COMMENT ON COLUMN councils.sprites IS 'JSON array of the member sprite UUIDs.';
COMMENT ON COLUMN councils.gate_agents IS 'JSON array of the UUIDs of sprites acting as gate agents.';
COMMENT ON COLUMN councils.rules IS 'Optional JSON array of rule objects the council enforces.';
COMMENT ON COLUMN councils.council_metadata IS 'Optional JSON object with additional council metadata.';
COMMENT ON COLUMN councils.created_at IS 'When the council row was created (server default now()).';

COMMENT ON TABLE chains IS 'Chains: ordered steps and gates that a council executes.';
COMMENT ON COLUMN chains.id IS 'Server-generated chain identifier.';
COMMENT ON COLUMN chains.council_id IS 'Owning council (foreign key to councils.id, cascades on delete).';
COMMENT ON COLUMN chains.name IS 'Human-readable chain name.';
COMMENT ON COLUMN chains.steps IS 'JSON array of ChainStep objects, in execution order.';
COMMENT ON COLUMN chains.gates IS 'Optional JSON array of Gate objects evaluated between steps.';
COMMENT ON COLUMN chains.timeout IS 'Optional ISO 8601 duration bounding the chain run, e.g. PT5M.';
COMMENT ON COLUMN chains.created_at IS 'When the chain row was created (server default now()).';

COMMENT ON TABLE execution_history IS 'One row per finished chain execution; deliberately without foreign keys so history survives deletions.';
COMMENT ON COLUMN execution_history.id IS 'Server-generated execution identifier.';
COMMENT ON COLUMN execution_history.council_id IS 'Council that ran the chain (not a foreign key).';
COMMENT ON COLUMN execution_history.chain_id IS 'Chain that was executed (not a foreign key).';
COMMENT ON COLUMN execution_history.status IS 'Outcome of the execution: completed, failed or vetoed.';
COMMENT ON COLUMN execution_history.started_at IS 'When the execution started.';
COMMENT ON COLUMN execution_history.completed_at IS 'When the execution ended, if it did; never before started_at.';
COMMENT ON COLUMN execution_history.duration_ms IS 'Total duration in milliseconds, never negative.';
COMMENT ON COLUMN execution_history.steps IS 'JSON array of per-step results.';
COMMENT ON COLUMN execution_history.gates IS 'JSON array of gate evaluations.';
COMMENT ON COLUMN execution_history.input_data IS 'Optional JSON input the chain was run with.';
COMMENT ON COLUMN execution_history.output_data IS 'Optional JSON output the chain produced.';
COMMENT ON COLUMN execution_history.error_message IS 'Failure reason when the execution failed or was vetoed.';
COMMENT ON COLUMN execution_history.created_at IS 'When the history row was written (server default now()).';
