import type { SharedMessage } from '../contracts/shares';
import type { Db } from '../db/db';

export interface ShareRow {
  id: string;
  user_id: string;
  conversation_id: string;
  title: string | null;
  messages: SharedMessage[];
  created_at: Date;
}

export type ShareSummaryRow = Omit<ShareRow, 'messages'> & { message_count: number };

export const shareStore = (db: Db) => ({
  /**
   * Copies the active branch of one of the user's conversations, as it is now, in one statement
   * (a reply finishing meanwhile is in it or not, never half). Only what was said is kept: no
   * ids, usage, reasoning, documents or images. Replies still being written and failed replies
   * with no text are left out. Null when the conversation is not the user's.
   */
  insertSnapshot: (s: { id: string; userId: string; conversationId: string; at: Date }) =>
    db.maybeOne<ShareSummaryRow>(
      `WITH RECURSIVE c AS (
         SELECT id, title, active_message_id FROM conversations WHERE id = $3 AND user_id = $2
       ), path AS (
         SELECT m.id, m.parent_id, m.role, m.content, m.model, m.status, m.created_at, 0 AS depth
           FROM messages m JOIN c ON m.id = c.active_message_id AND m.conversation_id = c.id
         UNION ALL
         SELECT m.id, m.parent_id, m.role, m.content, m.model, m.status, m.created_at, p.depth + 1
           FROM messages m JOIN path p ON m.id = p.parent_id
       )
       INSERT INTO shares (id, user_id, conversation_id, title, messages, created_at)
       SELECT $1, $2, c.id, c.title,
              COALESCE((SELECT json_agg(json_build_object(
                          'role', p.role, 'content', p.content, 'model', p.model,
                          'createdAt', to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
                          ORDER BY p.depth DESC)
                          FROM path p
                         WHERE p.status <> 'streaming' AND NOT (p.status = 'failed' AND p.content = '')),
                       '[]'::json),
              $4
         FROM c
       RETURNING id, user_id, conversation_id, title, created_at, jsonb_array_length(messages) AS message_count`,
      [s.id, s.userId, s.conversationId, s.at],
    ),

  list: (userId: string) =>
    db.many<ShareSummaryRow>(
      `SELECT id, user_id, conversation_id, title, created_at, jsonb_array_length(messages) AS message_count
         FROM shares WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 500`,
      [userId],
    ),

  /** Anyone's share by its id: the id is the secret. */
  get: (id: string) => db.maybeOne<ShareRow>(`SELECT * FROM shares WHERE id = $1`, [id]),

  delete: (userId: string, id: string) =>
    db.exec(`DELETE FROM shares WHERE id = $1 AND user_id = $2`, [id, userId]),

  /**
   * Copies a snapshot into a new conversation of the viewer's: the messages as one branch,
   * the last one active. The viewer's own rows from here on; the share is untouched.
   */
  async copyToConversation(c: {
    userId: string;
    conversationId: string;
    title: string | null;
    model: string | null;
    messages: { id: string; role: 'user' | 'assistant'; content: string; model: string | null }[];
    at: Date;
  }): Promise<void> {
    await db.exec(
      `INSERT INTO conversations (id, user_id, title, model, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)`,
      [c.conversationId, c.userId, c.title, c.model, c.at],
    );
    if (!c.messages.length) return;
    await db.exec(
      `INSERT INTO messages (id, conversation_id, user_id, parent_id, role, content, model, status, created_at)
       SELECT m.id, $1, $2, m.parent_id, m.role, m.content, m.model, 'complete',
              $4::timestamptz - ((m.n_total - m.n) * interval '1 millisecond')
         FROM jsonb_to_recordset($3::jsonb) AS m(id text, parent_id text, role text, content text, model text,
                                                 n int, n_total int)
        ORDER BY m.n`,
      [
        c.conversationId,
        c.userId,
        JSON.stringify(
          c.messages.map((m, n) => ({
            ...m,
            parent_id: n === 0 ? null : c.messages[n - 1]!.id,
            n,
            n_total: c.messages.length - 1,
          })),
        ),
        c.at,
      ],
    );
    await db.exec(`UPDATE conversations SET active_message_id = $2 WHERE id = $1 AND user_id = $3`, [
      c.conversationId,
      c.messages[c.messages.length - 1]!.id,
      c.userId,
    ]);
  },
});
