import type { Migration } from '../db/migration';

export const feedbackMigrations: Migration[] = [
  {
    id: '065_message_feedback',
    sql: `
      -- One rating per reply, by its owner; it goes with the message.
      -- Counts by model: SELECT m.model, f.rating, count(*) FROM message_feedback f
      --                   JOIN messages m ON m.id = f.message_id GROUP BY 1, 2 ORDER BY 1, 2;
      CREATE TABLE message_feedback (
        message_id text PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        rating text NOT NULL CHECK (rating IN ('up', 'down')),
        comment text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      );
      CREATE INDEX message_feedback_user ON message_feedback (user_id, updated_at);
    `,
  },
];
