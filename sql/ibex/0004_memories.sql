-- ibex_core (seed 001), part 4: memories and what hangs off them (versions, relationships, tags).

CREATE TABLE memories (
    id                 uuid          PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id             uuid          NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    agent_id           uuid          NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    session_id         uuid          REFERENCES sessions (id) ON DELETE SET NULL,
    content            text          NOT NULL,
    content_hash       varchar(64)   NOT NULL,
    embedding          vector(384)   NOT NULL,
    category           varchar(32)   NOT NULL,
    source             varchar(32)   NOT NULL DEFAULT 'extracted',
    status             varchar(32)   NOT NULL DEFAULT 'active',
    confidence         numeric(4, 3) NOT NULL DEFAULT 0.800,
    usefulness_score   numeric(4, 3) NOT NULL DEFAULT 0.500,
    retrieval_count    integer       NOT NULL DEFAULT 0,
    last_retrieved_at  timestamptz,
    last_injected_at   timestamptz,
    superseded_by      uuid          REFERENCES memories (id) ON DELETE SET NULL,
    merged_into        uuid          REFERENCES memories (id) ON DELETE SET NULL,
    expires_at         timestamptz,
    deleted_at         timestamptz,
    metadata           jsonb         NOT NULL DEFAULT '{}'::jsonb,
    created_at         timestamptz   NOT NULL DEFAULT now(),
    updated_at         timestamptz   NOT NULL DEFAULT now(),
    CONSTRAINT memories_content_not_empty CHECK (length(content) > 0),
    CONSTRAINT memories_content_max_length CHECK (length(content) <= 8192),
    CONSTRAINT memories_confidence_range CHECK (confidence >= 0.000 AND confidence <= 1.000),
    CONSTRAINT memories_usefulness_range CHECK (usefulness_score >= 0.000 AND usefulness_score <= 1.000),
    CONSTRAINT memories_retrieval_count_nonnegative CHECK (retrieval_count >= 0),
    CONSTRAINT memories_category_valid CHECK (
        category IN ('factual', 'preference', 'behavioral', 'episodic', 'procedural')
    ),
    CONSTRAINT memories_source_valid CHECK (source IN ('extracted', 'user_provided', 'imported', 'inferred')),
    CONSTRAINT memories_status_valid CHECK (
        status IN ('active', 'superseded', 'merged', 'archived', 'pending_review')
    )
);

-- The seed's "unique constraint" carries a WHERE, which only a unique index can: a live memory is stored
-- once per agent, while archived, superseded or soft-deleted copies of the same text may pile up.
CREATE UNIQUE INDEX memories_content_hash_org ON memories (org_id, agent_id, content_hash)
    WHERE status = 'active' AND deleted_at IS NULL;
-- Approximate nearest neighbours by cosine distance, over live memories only (same WHERE as the queries).
CREATE INDEX memories_embedding_hnsw_idx ON memories USING hnsw (embedding vector_cosine_ops)
    WITH (m = 16, ef_construction = 64)
    WHERE status = 'active' AND deleted_at IS NULL;
-- Hot cache: an agent's newest memories. Leading with org_id, it also serves the org_id foreign key,
-- which is why the seed's separate org_id index is not created.
CREATE INDEX memories_hot_cache_idx ON memories (org_id, agent_id, created_at DESC);
CREATE INDEX memories_agent_id_idx ON memories (agent_id);
CREATE INDEX memories_session_id_idx ON memories (session_id);
CREATE INDEX memories_superseded_by_idx ON memories (superseded_by);
CREATE INDEX memories_merged_into_idx ON memories (merged_into);

CREATE TRIGGER memories_set_updated_at BEFORE UPDATE ON memories
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

COMMENT ON TABLE memories IS 'Agent memories with embeddings; live rows are deduplicated by content hash and searched by cosine distance.';
COMMENT ON COLUMN memories.id IS 'Memory id.';
COMMENT ON COLUMN memories.org_id IS 'Organization that owns the memory.';
COMMENT ON COLUMN memories.agent_id IS 'Agent the memory belongs to.';
COMMENT ON COLUMN memories.session_id IS 'Session the memory was formed in; NULL once it is deleted.';
COMMENT ON COLUMN memories.content IS 'The memory text, 1 to 8192 characters.';
COMMENT ON COLUMN memories.content_hash IS 'SHA-256 hex of the content; live duplicates per agent are refused.';
COMMENT ON COLUMN memories.embedding IS '384-dimension embedding of the content, searched by cosine distance.';
COMMENT ON COLUMN memories.category IS 'Kind of knowledge: factual, preference, behavioral, episodic or procedural.';
COMMENT ON COLUMN memories.source IS 'Origin: extracted, user_provided, imported or inferred.';
COMMENT ON COLUMN memories.status IS 'Lifecycle: active, superseded, merged, archived or pending_review; only active rows are searched.';
COMMENT ON COLUMN memories.confidence IS 'How sure the engine is that the memory is true, 0 to 1.';
COMMENT ON COLUMN memories.usefulness_score IS 'How useful the memory proved when injected, 0 to 1.';
COMMENT ON COLUMN memories.retrieval_count IS 'Number of times a search returned the memory.';
COMMENT ON COLUMN memories.last_retrieved_at IS 'When a search last returned the memory.';
COMMENT ON COLUMN memories.last_injected_at IS 'When the memory was last put into a prompt.';
COMMENT ON COLUMN memories.superseded_by IS 'Newer memory that replaced this one, if any.';
COMMENT ON COLUMN memories.merged_into IS 'Memory this one was merged into, if any.';
COMMENT ON COLUMN memories.expires_at IS 'Time after which the memory should be forgotten.';
COMMENT ON COLUMN memories.deleted_at IS 'Soft-delete time; NULL while the row is live.';
COMMENT ON COLUMN memories.metadata IS 'Arbitrary extra attributes as a JSON object.';
COMMENT ON COLUMN memories.created_at IS 'When the row was inserted.';
COMMENT ON COLUMN memories.updated_at IS 'When the row last changed; kept current by the set_updated_at trigger.';

CREATE TABLE memory_versions (
    id                uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    memory_id         uuid        NOT NULL REFERENCES memories (id) ON DELETE CASCADE,
    org_id            uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    version_num       integer     NOT NULL,
    operation         text        NOT NULL,
    previous_content  text,
    new_content       text,
    change_reason     text,
    changed_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT memory_versions_memory_id_version_num_key UNIQUE (memory_id, version_num),
    CONSTRAINT memory_versions_operation_valid CHECK (
        operation IN ('created', 'updated', 'status_changed', 'confidence_updated', 'merged', 'deleted')
    )
);

CREATE INDEX memory_versions_org_id_idx ON memory_versions (org_id);

COMMENT ON TABLE memory_versions IS 'Append-only change history of memories; the application role may insert but not edit rows.';
COMMENT ON COLUMN memory_versions.id IS 'Version entry id.';
COMMENT ON COLUMN memory_versions.memory_id IS 'Memory this entry describes.';
COMMENT ON COLUMN memory_versions.org_id IS 'Organization of the memory, copied here for row-level security.';
COMMENT ON COLUMN memory_versions.version_num IS 'Version number within the memory, counting from 1.';
COMMENT ON COLUMN memory_versions.operation IS 'What happened: created, updated, status_changed, confidence_updated, merged or deleted.';
COMMENT ON COLUMN memory_versions.previous_content IS 'Content before the change, if it changed.';
COMMENT ON COLUMN memory_versions.new_content IS 'Content after the change, if it changed.';
COMMENT ON COLUMN memory_versions.change_reason IS 'Why the change was made.';
COMMENT ON COLUMN memory_versions.changed_at IS 'When the change happened.';

CREATE TABLE memory_relationships (
    id                 uuid          PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id             uuid          NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    source_memory_id   uuid          NOT NULL REFERENCES memories (id) ON DELETE CASCADE,
    target_memory_id   uuid          NOT NULL REFERENCES memories (id) ON DELETE CASCADE,
    relationship_type  text          NOT NULL,
    confidence         numeric(3, 2) NOT NULL DEFAULT 0.90,
    created_at         timestamptz   NOT NULL DEFAULT now(),
    -- Leading with source_memory_id, this is also the source index.
    CONSTRAINT memory_relationships_source_target_type_key UNIQUE (source_memory_id, target_memory_id, relationship_type),
    CONSTRAINT memory_relationships_type_valid CHECK (
        relationship_type IN ('supersedes', 'contradicts', 'specializes', 'generalizes', 'merged_from', 'derived_from')
    ),
    CONSTRAINT memory_relationships_confidence_range CHECK (confidence >= 0 AND confidence <= 1),
    CONSTRAINT memory_relationships_not_self CHECK (source_memory_id <> target_memory_id)
);

CREATE INDEX memory_relationships_org_id_idx ON memory_relationships (org_id);
CREATE INDEX memory_relationships_target_memory_id_idx ON memory_relationships (target_memory_id);

COMMENT ON TABLE memory_relationships IS 'Typed links between memories (supersedes, contradicts, ...); the unique key also indexes the source.';
COMMENT ON COLUMN memory_relationships.id IS 'Relationship id.';
COMMENT ON COLUMN memory_relationships.org_id IS 'Organization that owns both memories.';
COMMENT ON COLUMN memory_relationships.source_memory_id IS 'Memory the edge starts from.';
COMMENT ON COLUMN memory_relationships.target_memory_id IS 'Memory the edge points to.';
COMMENT ON COLUMN memory_relationships.relationship_type IS 'Edge kind: supersedes, contradicts, specializes, generalizes, merged_from or derived_from.';
COMMENT ON COLUMN memory_relationships.confidence IS 'How sure the engine is of the edge, 0 to 1.';
COMMENT ON COLUMN memory_relationships.created_at IS 'When the row was inserted.';

CREATE TABLE memory_tags (
    memory_id   uuid        NOT NULL REFERENCES memories (id) ON DELETE CASCADE,
    tag         text        NOT NULL,
    org_id      uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (memory_id, tag),
    CONSTRAINT memory_tags_tag_not_empty CHECK (length(tag) > 0)
);

-- "Which memories carry tag X?" within one organization; also the org_id foreign-key index.
CREATE INDEX memory_tags_org_id_tag_idx ON memory_tags (org_id, tag);

COMMENT ON TABLE memory_tags IS 'Labels on memories; one row per (memory, tag), indexed by (org, tag) for tag lookups.';
COMMENT ON COLUMN memory_tags.memory_id IS 'Memory the tag is on.';
COMMENT ON COLUMN memory_tags.tag IS 'The label text.';
COMMENT ON COLUMN memory_tags.org_id IS 'Organization of the memory, copied here for row-level security.';
COMMENT ON COLUMN memory_tags.created_at IS 'When the tag was attached.';
