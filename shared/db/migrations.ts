/**
 * Forward-only schema migrations, applied in order at start. Never edit one that has shipped:
 * add the next.
 */
export const migrations: { id: string; sql: string }[] = [
  {
    id: '001_accounts_conversations_chat',
    sql: `
      CREATE TABLE users (
        id text PRIMARY KEY,
        email text NOT NULL UNIQUE,
        name text,
        password_hash text,
        credits bigint NOT NULL DEFAULT 0 CHECK (credits >= 0),
        memory_enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE sessions (
        token_hash text PRIMARY KEY,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        csrf_token text NOT NULL,
        created_at timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz
      );
      CREATE INDEX sessions_user ON sessions (user_id);

      CREATE TABLE login_throttle (
        key text PRIMARY KEY,
        failures integer NOT NULL,
        window_started_at timestamptz NOT NULL,
        locked_until timestamptz
      );

      CREATE TABLE models (
        id text PRIMARY KEY,
        name text NOT NULL,
        context_length integer NOT NULL,
        prompt_price numeric NOT NULL,
        completion_price numeric NOT NULL,
        vision boolean NOT NULL,
        reasoning boolean NOT NULL,
        supported_parameters text[] NOT NULL DEFAULT '{}',
        refreshed_at timestamptz NOT NULL
      );

      CREATE TABLE conversations (
        id text PRIMARY KEY,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        title text,
        model text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      );
      CREATE INDEX conversations_user_recent ON conversations (user_id, updated_at DESC, id DESC);

      CREATE TABLE messages (
        id text PRIMARY KEY,
        conversation_id text NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        seq bigserial NOT NULL,
        role text NOT NULL CHECK (role IN ('user', 'assistant')),
        content text NOT NULL,
        reasoning text,
        model text,
        status text NOT NULL CHECK (status IN ('complete', 'streaming', 'stopped', 'failed')),
        error_code text,
        error_message text,
        image_ids text[] NOT NULL DEFAULT '{}',
        citations jsonb NOT NULL DEFAULT '[]',
        prompt_tokens integer,
        completion_tokens integer,
        credits bigint,
        upstream_cost_usd numeric,
        created_at timestamptz NOT NULL
      );
      CREATE INDEX messages_conversation ON messages (conversation_id, seq);

      -- One row per assistant reply: its lifecycle and the cross-instance stop flag.
      CREATE TABLE generations (
        id text PRIMARY KEY,
        message_id text NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        conversation_id text NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        model text NOT NULL,
        status text NOT NULL CHECK (status IN ('streaming', 'complete', 'stopped', 'failed')),
        stop_requested boolean NOT NULL DEFAULT false,
        started_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        finished_at timestamptz
      );
      CREATE INDEX generations_active ON generations (user_id, conversation_id) WHERE status = 'streaming';
    `,
  },
];
