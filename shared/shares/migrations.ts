import type { Migration } from '../db/migration';

export const shareMigrations: Migration[] = [
  {
    id: '062_shares',
    sql: `
      -- A share is a snapshot: the messages are copied in, so the conversation can go on (or be
      -- edited) without changing what the link shows. Revoking deletes the row: the link is dead
      -- at once and the copy is gone. Deleting the conversation deletes its shares.
      CREATE TABLE shares (
        id text PRIMARY KEY,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        conversation_id text NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        title text,
        messages jsonb NOT NULL,
        created_at timestamptz NOT NULL
      );
      CREATE INDEX shares_user ON shares (user_id, created_at DESC, id DESC);
      CREATE INDEX shares_conversation ON shares (conversation_id);
    `,
  },
];
