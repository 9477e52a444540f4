import type { BillingPart } from '../billing/metering-store';
import type { Db } from '../db/db';

export interface ConversationRow {
  id: string;
  user_id: string;
  title: string | null;
  model: string | null;
  system_prompt: string | null;
  temperature: number | null;
  max_tokens: number | null;
  pinned: boolean;
  incognito: boolean;
  active_message_id: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface MessageRow {
  id: string;
  conversation_id: string;
  user_id: string;
  parent_id: string | null;
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
  max_tokens: number | null;
  finish_reason: 'user' | 'time_limit' | 'length' | 'balance' | null;
  created_at: Date;
}

/** The owner's rating of a reply (shared/feedback), read with the branch. */
export interface MessageFeedback {
  rating: 'up' | 'down';
  comment: string | null;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Every query carries the owner: another user's id simply matches nothing. */
export const conversationStore = (db: Db) => ({
  insert: (c: {
    id: string;
    userId: string;
    title: string | null;
    model: string | null;
    systemPrompt: string | null;
    temperature: number | null;
    maxTokens: number | null;
    incognito: boolean;
    at: Date;
  }) =>
    db.one<ConversationRow>(
      `INSERT INTO conversations (id, user_id, title, model, system_prompt, temperature, max_tokens, incognito,
                                  created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING *`,
      [c.id, c.userId, c.title, c.model, c.systemPrompt, c.temperature, c.maxTokens, c.incognito, c.at],
    ),

  get: (userId: string, id: string) =>
    db.maybeOne<ConversationRow>(`SELECT * FROM conversations WHERE id = $1 AND user_id = $2`, [id, userId]),

  /**
   * Pinned ones first, then newest first by last activity; `after` is the (pinned, updated_at, id)
   * of the last row already shown.
   * A conversation with no message and no title is not listed: it is a chat someone opened and
   * never got a reply in (a refused first message leaves nothing in the sidebar).
   */
  list: (
    userId: string,
    opts: {
      limit: number;
      after?: { pinned: boolean; at: Date; id: string };
      q?: string;
      pinned?: boolean;
    },
  ) =>
    db.many<ConversationRow>(
      `SELECT c.* FROM conversations c
        WHERE c.user_id = $1
          AND (c.active_message_id IS NOT NULL OR c.title IS NOT NULL)
          AND ($2::timestamptz IS NULL OR (c.pinned, c.updated_at, c.id) < ($7::boolean, $2::timestamptz, $3::text))
          AND ($4::text IS NULL OR c.title ILIKE $4 OR EXISTS (
                SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.content ILIKE $4))
          AND ($6::boolean IS NULL OR c.pinned = $6)
        ORDER BY c.pinned DESC, c.updated_at DESC, c.id DESC
        LIMIT $5`,
      [
        userId,
        opts.after?.at ?? null,
        opts.after?.id ?? null,
        opts.q ? `%${escapeLike(opts.q)}%` : null,
        opts.limit,
        opts.pinned ?? null,
        opts.after?.pinned ?? false,
      ],
    ),

  /** Changes only the fields given (undefined = keep; null = back to the default). Not an activity: the order stays. */
  update: (
    userId: string,
    id: string,
    u: {
      title?: string;
      model?: string;
      systemPrompt?: string | null;
      temperature?: number | null;
      maxTokens?: number | null;
      pinned?: boolean;
    },
  ) =>
    db.maybeOne<ConversationRow>(
      `UPDATE conversations SET
         title = COALESCE($3, title),
         model = COALESCE($4, model),
         system_prompt = CASE WHEN $5::boolean THEN $6 ELSE system_prompt END,
         temperature = CASE WHEN $7::boolean THEN $8::double precision ELSE temperature END,
         max_tokens = CASE WHEN $9::boolean THEN $10::integer ELSE max_tokens END,
         pinned = COALESCE($11, pinned)
       WHERE id = $1 AND user_id = $2 RETURNING *`,
      [
        id,
        userId,
        u.title ?? null,
        u.model ?? null,
        u.systemPrompt !== undefined,
        u.systemPrompt ?? null,
        u.temperature !== undefined,
        u.temperature ?? null,
        u.maxTokens !== undefined,
        u.maxTokens ?? null,
        u.pinned ?? null,
      ],
    ),

  /**
   * Makes the branch through `messageId` active, down to the newest message under it. Newest by
   * created_at: a question and its reply are written by one statement, whose seq order is not theirs.
   */
  activateBranch: (userId: string, id: string, messageId: string) =>
    db.maybeOne<ConversationRow>(
      `WITH RECURSIVE sub AS (
         SELECT m.id, m.created_at, m.seq FROM messages m WHERE m.id = $3 AND m.conversation_id = $1 AND m.user_id = $2
         UNION ALL
         SELECT m.id, m.created_at, m.seq FROM messages m JOIN sub s ON m.parent_id = s.id
       )
       UPDATE conversations SET active_message_id = (SELECT id FROM sub ORDER BY created_at DESC, seq DESC LIMIT 1)
        WHERE id = $1 AND user_id = $2 AND EXISTS (SELECT 1 FROM sub) RETURNING *`,
      [id, userId, messageId],
    ),

  /**
   * Sets a generated title unless the user named the conversation meanwhile; with `bill`, the
   * call that wrote the title is billed in the same statement, titled or not.
   */
  setTitleIfUntitled: (userId: string, id: string, title: string, bill: BillingPart | null = null) => {
    const n = bill?.params.length ?? 0;
    return db.maybeOne<ConversationRow>(
      `${bill ? `WITH ${bill.ctes(null)} ` : ''}UPDATE conversations SET title = $${n + 3}
        WHERE id = $${n + 1} AND user_id = $${n + 2} AND title IS NULL RETURNING conversations.*`,
      [...(bill?.params ?? []), id, userId, title],
    );
  },

  delete: (userId: string, id: string) =>
    db.exec(`DELETE FROM conversations WHERE id = $1 AND user_id = $2`, [id, userId]),

  /** The active branch, root first, each message with the ids of its siblings (itself included). */
  activeBranch: (userId: string, conversationId: string) =>
    db.many<MessageRow & { sibling_ids: string[]; feedback: MessageFeedback | null }>(
      `WITH RECURSIVE path AS (
         SELECT m.*, 0 AS depth FROM messages m
          WHERE m.id = (SELECT active_message_id FROM conversations WHERE id = $1 AND user_id = $2)
            AND m.conversation_id = $1 AND m.user_id = $2
         UNION ALL
         SELECT m.*, p.depth + 1 FROM messages m JOIN path p ON m.id = p.parent_id
       )
       SELECT p.*, ARRAY(SELECT s.id FROM messages s
                          WHERE s.conversation_id = $1 AND s.parent_id IS NOT DISTINCT FROM p.parent_id
                          ORDER BY s.created_at, s.seq) AS sibling_ids,
              (SELECT json_build_object('rating', f.rating, 'comment', f.comment)
                 FROM message_feedback f WHERE f.message_id = p.id) AS feedback
         FROM path p ORDER BY p.depth DESC`,
      [conversationId, userId],
    ),

  /** The first question and answer of the active branch (what a title is made from). */
  firstExchange: async (userId: string, conversationId: string) => {
    const branch = await conversationStore(db).activeBranch(userId, conversationId);
    return {
      question: branch.find((m) => m.role === 'user')?.content ?? '',
      answer: branch.find((m) => m.role === 'assistant')?.content ?? '',
    };
  },
});
