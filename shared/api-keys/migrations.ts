import type { Migration } from '../db/migration';

export const apiKeyMigrations: Migration[] = [
  {
    id: '080_api_keys',
    sql: `
      -- Personal keys for the OpenAI-compatible API. Only the secret's hash is kept; a revoked key
      -- stays (its usage records point at it) but never authenticates again.
      CREATE TABLE api_keys (
        id text PRIMARY KEY,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name text NOT NULL,
        prefix text NOT NULL UNIQUE,
        secret_hash text NOT NULL,
        spend_limit_credits bigint CHECK (spend_limit_credits >= 0),
        created_at timestamptz NOT NULL,
        last_used_at timestamptz,
        revoked_at timestamptz
      );
      CREATE INDEX api_keys_user ON api_keys (user_id, created_at) WHERE revoked_at IS NULL;

      -- A call through the API is a generation with no conversation and no message.
      ALTER TABLE generations ALTER COLUMN message_id DROP NOT NULL;
      ALTER TABLE generations ALTER COLUMN conversation_id DROP NOT NULL;
      ALTER TABLE generations ADD COLUMN api_key_id text REFERENCES api_keys(id) ON DELETE SET NULL;
      CREATE INDEX generations_api_key ON generations (api_key_id, started_at) WHERE api_key_id IS NOT NULL;

      -- What each key spent: its usage records, tagged at settlement from the generation.
      ALTER TABLE usage_records ADD COLUMN api_key_id text REFERENCES api_keys(id) ON DELETE SET NULL;
      CREATE INDEX usage_api_key ON usage_records (api_key_id) WHERE api_key_id IS NOT NULL;
    `,
  },
];
