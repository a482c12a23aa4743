-- MyloWare (seed 003): pgvector for the knowledge base's 1536-dimension embeddings.
-- Extensions live in `public` (sql/README.md), so every schema finds `vector` through its
-- search_path and a second system's `CREATE EXTENSION IF NOT EXISTS` is a no-op.
CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public;
