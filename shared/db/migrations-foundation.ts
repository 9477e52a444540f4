import type { Migration } from './migration';

/** The schema the first release shipped with; never edit it: features add their own migrations. */
export const foundationMigrations: Migration[] = [
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
  {
    id: '002_credits_ledger_billing',
    sql: `
      -- credits: the balance, always the sum of the user's ledger. held: reserved by replies in flight.
      ALTER TABLE users ADD COLUMN held bigint NOT NULL DEFAULT 0 CHECK (held >= 0);

      CREATE TABLE ledger (
        id text PRIMARY KEY,
        seq bigserial NOT NULL UNIQUE,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('purchase', 'usage', 'refund', 'grant', 'adjustment')),
        credits bigint NOT NULL,
        balance_after bigint NOT NULL CHECK (balance_after >= 0),
        reference text NOT NULL,
        created_at timestamptz NOT NULL
      );
      -- One balance change per thing that causes it: a retried settlement or webhook cannot repeat it.
      CREATE UNIQUE INDEX ledger_once ON ledger (kind, reference);
      CREATE INDEX ledger_user ON ledger (user_id, seq DESC);

      CREATE TABLE holds (
        generation_id text PRIMARY KEY,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        credits bigint NOT NULL CHECK (credits >= 0),
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
      );
      CREATE INDEX holds_expiry ON holds (expires_at);

      -- Every metered upstream call (replies and internal ones such as titles), free ones included.
      CREATE TABLE usage_records (
        id text PRIMARY KEY,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        purpose text NOT NULL CHECK (purpose IN ('reply', 'title')),
        reference text NOT NULL UNIQUE,
        model text NOT NULL,
        prompt_tokens integer NOT NULL,
        completion_tokens integer NOT NULL,
        upstream_cost_usd numeric,
        credits bigint NOT NULL,
        created_at timestamptz NOT NULL
      );
      CREATE INDEX usage_user_time ON usage_records (user_id, created_at);

      ALTER TABLE generations ADD COLUMN free boolean NOT NULL DEFAULT false;
      CREATE INDEX generations_user_started ON generations (user_id, started_at);

      CREATE TABLE packages (
        id text PRIMARY KEY,
        name text NOT NULL,
        price_cents integer NOT NULL CHECK (price_cents > 0),
        currency text NOT NULL,
        credits bigint NOT NULL CHECK (credits > 0),
        first_purchase_only boolean NOT NULL DEFAULT false,
        active boolean NOT NULL DEFAULT true,
        sort integer NOT NULL
      );
      INSERT INTO packages (id, name, price_cents, currency, credits, first_purchase_only, sort) VALUES
        ('starter', 'Starter pack', 500, 'usd', 500000, true, 1),
        ('standard', 'Standard', 1000, 'usd', 1000000, false, 2),
        ('plus', 'Plus', 2500, 'usd', 2600000, false, 3),
        ('pro', 'Pro', 10000, 'usd', 11000000, false, 4);

      CREATE TABLE purchases (
        checkout_session_id text PRIMARY KEY,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        package_id text NOT NULL REFERENCES packages(id),
        credits bigint NOT NULL,
        amount_cents integer NOT NULL,
        currency text NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'paid', 'mismatch')),
        payment_intent text UNIQUE,
        credits_refunded bigint NOT NULL DEFAULT 0,
        refund_shortfall bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL,
        paid_at timestamptz
      );

      -- Cumulative refunds per payment, kept even when they arrive before the payment itself.
      CREATE TABLE refunds (
        payment_intent text PRIMARY KEY,
        charge_amount_cents bigint NOT NULL,
        refunded_cents bigint NOT NULL,
        updated_at timestamptz NOT NULL
      );

      CREATE TABLE stripe_events (
        id text PRIMARY KEY,
        type text NOT NULL,
        outcome text NOT NULL,
        received_at timestamptz NOT NULL
      );
    `,
  },
];
