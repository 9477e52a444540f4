import type { Migration } from '../db/migration';

export const memoryMigrations: Migration[] = [
  {
    id: '070_memories',
    sql: `
      CREATE TABLE memories (
        id text PRIMARY KEY,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        text text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('fact', 'preference')),
        source text NOT NULL CHECK (source IN ('extracted', 'user')),
        -- The vector of the text (and the model that made it: vectors of different models never compare).
        embedding jsonb NOT NULL,
        embedding_model text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      );
      CREATE INDEX memories_user ON memories (user_id, updated_at DESC);

      -- One row per reply the extractor has run on: a redelivered job changes nothing.
      CREATE TABLE memory_extractions (
        message_id text PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        changed integer NOT NULL,
        created_at timestamptz NOT NULL
      );

      ALTER TABLE usage_records DROP CONSTRAINT usage_records_purpose_check;
      ALTER TABLE usage_records ADD CONSTRAINT usage_records_purpose_check
        CHECK (purpose IN ('reply', 'title', 'memory'));
    `,
  },
  {
    id: '071_messages_memory_updated',
    // The reply's "Memory updated" note: set by the extractor, read with the conversation.
    sql: `ALTER TABLE messages ADD COLUMN memory_updated boolean NOT NULL DEFAULT false;`,
  },
];
