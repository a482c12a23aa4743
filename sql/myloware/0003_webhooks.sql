-- MyloWare (seed 003): inbound provider webhooks and their dead-letter queue.
-- The seed's DDL as given, except: gen_random_uuid() replaces uuid_generate_v4()
-- (core since PostgreSQL 13, no extension needed).

CREATE TABLE webhook_events (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),  -- seed: uuid_generate_v4()
  idempotency_key TEXT NOT NULL,
  provider TEXT NOT NULL,
  headers JSONB NOT NULL,
  payload BYTEA NOT NULL,
  signature_status TEXT NOT NULL,
  received_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

-- A provider that replays a delivery sends the same key: the second INSERT fails here,
-- which is how MyloWare processes each webhook exactly once.
ALTER TABLE webhook_events
  ADD CONSTRAINT uq_webhook_events_idempotency
  UNIQUE (idempotency_key);

COMMENT ON TABLE webhook_events IS 'Webhook deliveries received from providers, stored raw with their signature check result.';
COMMENT ON COLUMN webhook_events.id IS 'Event identifier, a random UUID from gen_random_uuid().';
COMMENT ON COLUMN webhook_events.idempotency_key IS 'The provider''s delivery key; unique, so a replayed webhook is rejected.';
COMMENT ON COLUMN webhook_events.provider IS 'The service that sent the webhook.';
COMMENT ON COLUMN webhook_events.headers IS 'The HTTP request headers as a JSON object.';
COMMENT ON COLUMN webhook_events.payload IS 'The raw request body, kept byte-for-byte so the signature can be re-verified.';
COMMENT ON COLUMN webhook_events.signature_status IS 'Outcome of the signature verification, e.g. valid or invalid.';
COMMENT ON COLUMN webhook_events.received_at IS 'When the webhook arrived.';

CREATE TABLE webhook_dlq (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),  -- seed: uuid_generate_v4()
  idempotency_key TEXT NOT NULL,
  provider TEXT NOT NULL,
  headers JSONB NOT NULL,
  payload BYTEA NOT NULL,
  error TEXT NOT NULL,
  retry_count INTEGER NOT NULL DEFAULT 0,
  next_retry_at TIMESTAMPTZ,
  last_error_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

ALTER TABLE webhook_dlq
  ADD CONSTRAINT uq_webhook_dlq_idempotency
  UNIQUE (idempotency_key, provider);

-- The retry worker reads the queue in next_retry_at order ("what is due now?").
CREATE INDEX idx_webhook_dlq_next_retry
  ON webhook_dlq(next_retry_at);

CREATE INDEX idx_webhook_dlq_provider
  ON webhook_dlq(provider);

COMMENT ON TABLE webhook_dlq IS 'Dead-letter queue: webhooks whose processing failed, kept with their error for scheduled retries.';
COMMENT ON COLUMN webhook_dlq.id IS 'Queue entry identifier, a random UUID from gen_random_uuid().';
COMMENT ON COLUMN webhook_dlq.idempotency_key IS 'The failed delivery''s key; unique together with provider, so a delivery is queued once.';
COMMENT ON COLUMN webhook_dlq.provider IS 'The service that sent the failed webhook.';
COMMENT ON COLUMN webhook_dlq.headers IS 'The original HTTP request headers as a JSON object.';
COMMENT ON COLUMN webhook_dlq.payload IS 'The original raw request body, replayed on retry.';
COMMENT ON COLUMN webhook_dlq.error IS 'The most recent processing error message.';
COMMENT ON COLUMN webhook_dlq.retry_count IS 'How many retries have been attempted so far.';
COMMENT ON COLUMN webhook_dlq.next_retry_at IS 'When the next retry is due; NULL means no further retry is scheduled.';
COMMENT ON COLUMN webhook_dlq.last_error_at IS 'When the most recent failure happened.';
COMMENT ON COLUMN webhook_dlq.created_at IS 'When the delivery first entered the queue.';
COMMENT ON COLUMN webhook_dlq.updated_at IS 'When the entry was last changed; the application sets it (there is no trigger).';
