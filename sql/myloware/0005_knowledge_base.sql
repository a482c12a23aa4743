-- MyloWare (seed 003): the knowledge base personas retrieve from (RAG).
-- The seed's DDL as given, except: gen_random_uuid() replaces uuid_generate_v4()
-- (core since PostgreSQL 13, no extension needed), and the IVFFlat index states its lists.

CREATE TABLE kb_documents (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),  -- seed: uuid_generate_v4()
  project TEXT,
  persona TEXT,
  path TEXT NOT NULL,
  content TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE INDEX idx_kb_documents_project_persona
  ON kb_documents(project, persona);

COMMENT ON TABLE kb_documents IS 'Source documents of the knowledge base, optionally scoped to a project and a persona.';
COMMENT ON COLUMN kb_documents.id IS 'Document identifier, a random UUID from gen_random_uuid().';
COMMENT ON COLUMN kb_documents.project IS 'Project the document belongs to; NULL means shared by all projects.';
COMMENT ON COLUMN kb_documents.persona IS 'Persona the document is meant for; NULL means every persona.';
COMMENT ON COLUMN kb_documents.path IS 'Where the document was loaded from (file path or URL).';
COMMENT ON COLUMN kb_documents.content IS 'The document''s full text.';
COMMENT ON COLUMN kb_documents.created_at IS 'When the document was loaded.';

CREATE TABLE kb_embeddings (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),  -- seed: uuid_generate_v4()
  doc_id UUID NOT NULL REFERENCES kb_documents(id) ON DELETE CASCADE,
  embedding VECTOR(1536)
);

CREATE INDEX idx_kb_embeddings_doc ON kb_embeddings(doc_id);

-- Approximate nearest-neighbour search by cosine distance (the `<=>` operator).
-- lists = 10: pgvector's rule of thumb is rows / 1000 up to a million rows, and a MyloWare
-- knowledge base (a few projects' documents, chunked) holds on the order of 10,000 chunks.
-- IVFFlat learns its centroids when the index is built, and this migration builds it on an
-- empty table: after a bulk load run `REINDEX INDEX idx_kb_embeddings_cosine`, and raise
-- `SET ivfflat.probes` (default 1, i.e. one list in ten) when recall matters more than speed.
CREATE INDEX idx_kb_embeddings_cosine
  ON kb_embeddings
  USING ivfflat (embedding vector_cosine_ops)
  WITH (lists = 10);

COMMENT ON TABLE kb_embeddings IS 'Embedding vectors of knowledge-base document chunks, searched by cosine distance.';
COMMENT ON COLUMN kb_embeddings.id IS 'Embedding identifier, a random UUID from gen_random_uuid().';
COMMENT ON COLUMN kb_embeddings.doc_id IS 'The document this embedding was computed from; deleting the document deletes its embeddings.';
COMMENT ON COLUMN kb_embeddings.embedding IS 'A 1536-dimension pgvector embedding (the size of OpenAI''s text-embedding models), compared with <=>.';
