-- MyloWare (seed 003): social accounts that runs publish to, and which projects use them.
-- The seed's DDL as given, except: gen_random_uuid() replaces uuid_generate_v4()
-- (core since PostgreSQL 13, no extension needed).

CREATE TABLE socials (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),  -- seed: uuid_generate_v4()
  provider TEXT NOT NULL,
  account_id TEXT NOT NULL,
  credential_ref TEXT,
  default_caption TEXT,
  default_tags JSONB,
  privacy TEXT,
  rate_limit_window INTEGER,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

COMMENT ON TABLE socials IS 'Publish targets: one social media account with its posting defaults.';
COMMENT ON COLUMN socials.id IS 'Social account identifier, a random UUID from gen_random_uuid().';
COMMENT ON COLUMN socials.provider IS 'The social platform, e.g. tiktok or youtube.';
COMMENT ON COLUMN socials.account_id IS 'The account''s identifier on that platform.';
COMMENT ON COLUMN socials.credential_ref IS 'Reference to where the account''s credentials are kept (never the secret itself).';
COMMENT ON COLUMN socials.default_caption IS 'Caption used when a post does not bring its own.';
COMMENT ON COLUMN socials.default_tags IS 'Tags added to every post, as a JSON array.';
COMMENT ON COLUMN socials.privacy IS 'Default visibility of posts, e.g. public or private.';
COMMENT ON COLUMN socials.rate_limit_window IS 'Length of the posting rate-limit window the platform imposes on the account.';
COMMENT ON COLUMN socials.created_at IS 'When the account was configured.';

CREATE TABLE project_socials (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),  -- seed: uuid_generate_v4()
  project TEXT NOT NULL,
  social_id UUID NOT NULL REFERENCES socials(id) ON DELETE CASCADE,
  is_primary BOOLEAN NOT NULL DEFAULT FALSE,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

-- Not in the seed: the foreign key column gets its own index (lookups by account and the
-- ON DELETE CASCADE from socials).
CREATE INDEX idx_project_socials_social_id ON project_socials(social_id);

COMMENT ON TABLE project_socials IS 'Which social accounts each project publishes to.';
COMMENT ON COLUMN project_socials.id IS 'Link identifier, a random UUID from gen_random_uuid().';
COMMENT ON COLUMN project_socials.project IS 'Name of the project that publishes to the account.';
COMMENT ON COLUMN project_socials.social_id IS 'The social account; deleting the account removes its project links.';
COMMENT ON COLUMN project_socials.is_primary IS 'Whether this is the project''s main account on that platform.';
COMMENT ON COLUMN project_socials.created_at IS 'When the project was linked to the account.';
