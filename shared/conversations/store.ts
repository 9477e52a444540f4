import type { Db } from '../db/db';

export interface ConversationRow {
  id: string;
  user_id: string;
  title: string | null;
  model: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface MessageRow {
  id: string;
  conversation_id: string;
  user_id: string;
  role: 'user' | 'assistant';
  content: string;
  reasoning: string | null;
  model: string | null;
  status: 'complete' | 'streaming' | 'stopped' | 'failed';
  error_code: string | null;
  error_message: string | null;
  image_ids: string[];
  citations: unknown[];
  prompt_tokens: number | null;
  completion_tokens: number | null;
  credits: number | null;
  created_at: Date;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Every query carries the owner: another user's id simply matches nothing. */
export const conversationStore = (db: Db) => ({
  insert: (c: { id: string; userId: string; title: string | null; model: string | null; at: Date }) =>
    db.one<ConversationRow>(
      `INSERT INTO conversations (id, user_id, title, model, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $5) RETURNING *`,
      [c.id, c.userId, c.title, c.model, c.at],
    ),

  get: (userId: string, id: string) =>
    db.maybeOne<ConversationRow>(`SELECT * FROM conversations WHERE id = $1 AND user_id = $2`, [id, userId]),

  /** Newest first by last activity; `after` is the (updated_at, id) of the last row already shown. */
  list: (userId: string, opts: { limit: number; after?: { at: Date; id: string }; q?: string }) =>
    db.many<ConversationRow>(
      `SELECT c.* FROM conversations c
        WHERE c.user_id = $1
          AND ($2::timestamptz IS NULL OR (c.updated_at, c.id) < ($2::timestamptz, $3::text))
          AND ($4::text IS NULL OR c.title ILIKE $4 OR EXISTS (
                SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.content ILIKE $4))
        ORDER BY c.updated_at DESC, c.id DESC
        LIMIT $5`,
      [
        userId,
        opts.after?.at ?? null,
        opts.after?.id ?? null,
        opts.q ? `%${escapeLike(opts.q)}%` : null,
        opts.limit,
      ],
    ),

  rename: (userId: string, id: string, title: string, at: Date) =>
    db.maybeOne<ConversationRow>(
      `UPDATE conversations SET title = $3, updated_at = $4 WHERE id = $1 AND user_id = $2 RETURNING *`,
      [id, userId, title, at],
    ),

  /** Sets a generated title unless the user named the conversation meanwhile. */
  setTitleIfUntitled: (userId: string, id: string, title: string) =>
    db.maybeOne<ConversationRow>(
      `UPDATE conversations SET title = $3 WHERE id = $1 AND user_id = $2 AND title IS NULL RETURNING *`,
      [id, userId, title],
    ),

  touch: (userId: string, id: string, model: string, at: Date) =>
    db.exec(`UPDATE conversations SET updated_at = $3, model = $4 WHERE id = $1 AND user_id = $2`, [
      id,
      userId,
      at,
      model,
    ]),

  delete: (userId: string, id: string) =>
    db.exec(`DELETE FROM conversations WHERE id = $1 AND user_id = $2`, [id, userId]),

  messages: (userId: string, conversationId: string) =>
    db.many<MessageRow>(`SELECT * FROM messages WHERE conversation_id = $1 AND user_id = $2 ORDER BY seq`, [
      conversationId,
      userId,
    ]),
});
