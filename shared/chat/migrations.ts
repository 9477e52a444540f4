import type { Migration } from '../db/migration';

export const chatMigrations: Migration[] = [
  {
    id: '030_message_tree_conversation_settings',
    sql: `
      -- Messages form a tree: an edit or a regenerated reply is a sibling under the same parent.
      ALTER TABLE messages ADD COLUMN parent_id text REFERENCES messages(id) ON DELETE CASCADE;
      UPDATE messages m SET parent_id = p.prev
        FROM (SELECT id, lag(id) OVER (PARTITION BY conversation_id ORDER BY seq) AS prev FROM messages) p
       WHERE m.id = p.id;
      CREATE INDEX messages_children ON messages (parent_id, seq);
      -- The reply length a reply was allowed, and why it ended short when it did.
      ALTER TABLE messages ADD COLUMN max_tokens integer;
      ALTER TABLE messages ADD COLUMN finish_reason text
        CHECK (finish_reason IN ('user', 'time_limit', 'length', 'balance'));

      ALTER TABLE conversations ADD COLUMN system_prompt text;
      ALTER TABLE conversations ADD COLUMN temperature double precision;
      ALTER TABLE conversations ADD COLUMN max_tokens integer;
      ALTER TABLE conversations ADD COLUMN pinned boolean NOT NULL DEFAULT false;
      ALTER TABLE conversations ADD COLUMN incognito boolean NOT NULL DEFAULT false;
      -- The newest message of the branch shown and continued (no foreign key: a refused reply
      -- puts back the previous value in the transaction that deletes it).
      ALTER TABLE conversations ADD COLUMN active_message_id text;
      UPDATE conversations c SET active_message_id =
        (SELECT id FROM messages m WHERE m.conversation_id = c.id ORDER BY seq DESC LIMIT 1);

      -- What a crashed reply is billed for: the prompt it was sent and the reply length it had.
      ALTER TABLE generations ADD COLUMN prompt_tokens integer NOT NULL DEFAULT 0;
      ALTER TABLE generations ADD COLUMN max_tokens integer NOT NULL DEFAULT 0;
      CREATE INDEX generations_streaming_since ON generations (updated_at) WHERE status = 'streaming';
    `,
  },
  {
    id: '084_conversations_pinned_order',
    sql: `
      -- The sidebar lists pinned conversations first: an index in that order serves the list and
      -- its cursor without sorting every conversation of the user.
      CREATE INDEX conversations_user_pinned_recent ON conversations (user_id, pinned DESC, updated_at DESC, id DESC);
      DROP INDEX conversations_user_recent;
    `,
  },
];
