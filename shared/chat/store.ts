import type { Db } from '../db/db';
import type { MessageRow } from '../conversations/store';

export type ReplyStatus = 'complete' | 'stopped' | 'failed';

/** Messages and generation rows of the chat flow; every query carries the owner. */
export const chatStore = (db: Db) => ({
  /**
   * The conversation (null when it is not the user's) with the turns a prompt may use, oldest
   * first, in one round trip: it sits between the user's click and the first byte.
   */
  conversationWithHistory: async (userId: string, conversationId: string) => {
    const row = await db.maybeOne<{ title: string | null; history: Pick<MessageRow, 'role' | 'content'>[] }>(
      `SELECT c.title, COALESCE((
                SELECT json_agg(json_build_object('role', m.role, 'content', m.content) ORDER BY m.seq)
                  FROM messages m
                 WHERE m.conversation_id = c.id AND m.content <> ''
                   AND (m.role = 'user' OR m.status IN ('complete', 'stopped'))), '[]'::json) AS history
         FROM conversations c WHERE c.id = $1 AND c.user_id = $2`,
      [conversationId, userId],
    );
    return row;
  },

  /**
   * The question, the empty reply and its generation row, with the conversation moved to the
   * top, in one round trip: it sits between the user's click and the first byte.
   */
  startReply: (r: {
    userMessageId: string;
    replyId: string;
    generationId: string;
    conversationId: string;
    userId: string;
    content: string;
    imageIds: string[];
    model: string;
    at: Date;
  }) =>
    db.exec(
      `WITH m AS (
         INSERT INTO messages (id, conversation_id, user_id, role, content, model, status, image_ids, created_at)
         VALUES ($1, $4, $5, 'user', $6, $8, 'complete', $7, $9),
                ($2, $4, $5, 'assistant', '', $8, 'streaming', '{}', $9::timestamptz + interval '1 millisecond')
       ), g AS (
         INSERT INTO generations (id, message_id, conversation_id, user_id, model, status, started_at, updated_at)
         VALUES ($3, $2, $4, $5, $8, 'streaming', $9, $9)
       )
       UPDATE conversations SET updated_at = $9, model = $8 WHERE id = $4 AND user_id = $5`,
      [
        r.userMessageId,
        r.replyId,
        r.generationId,
        r.conversationId,
        r.userId,
        r.content,
        r.imageIds,
        r.model,
        r.at,
      ],
    ),

  deleteMessages: (userId: string, ids: string[]) =>
    db.exec(`DELETE FROM messages WHERE user_id = $1 AND id = ANY($2::text[])`, [userId, ids]),

  /** The text so far of several replies at once, so a reload (on any instance) shows it. */
  flushPartials: (
    partials: { generationId: string; messageId: string; content: string; reasoning: string }[],
    at: Date,
  ) =>
    db.exec(
      `WITH p AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS p(gid, mid, content, reasoning)),
            g AS (UPDATE generations SET updated_at = $5 FROM p WHERE generations.id = p.gid AND status = 'streaming'
                  RETURNING generations.id)
       UPDATE messages m SET content = p.content, reasoning = NULLIF(p.reasoning, '')
         FROM p WHERE m.id = p.mid AND m.status = 'streaming' AND p.gid IN (SELECT id FROM g)`,
      [
        partials.map((p) => p.generationId),
        partials.map((p) => p.messageId),
        partials.map((p) => p.content),
        partials.map((p) => p.reasoning),
        at,
      ],
    ),

  /** Which of these replies someone asked to stop; a reply whose row is gone (deleted) counts. */
  stopsRequested: async (generationIds: string[]) => {
    const rows = await db.many<{ id: string; stop_requested: boolean }>(
      `SELECT id, stop_requested FROM generations WHERE id = ANY($1::text[])`,
      [generationIds],
    );
    const present = new Map(rows.map((r) => [r.id, r.stop_requested]));
    return generationIds.filter((id) => present.get(id) !== false);
  },

  requestStop: (userId: string, conversationId: string) =>
    db.exec(
      `UPDATE generations SET stop_requested = true
        WHERE conversation_id = $1 AND user_id = $2 AND status = 'streaming'`,
      [conversationId, userId],
    ),

  finish: (f: {
    generationId: string;
    messageId: string;
    status: ReplyStatus;
    content: string;
    reasoning: string;
    error: { code: string; message: string } | null;
    promptTokens: number;
    completionTokens: number;
    credits: number;
    costUsd: number | null;
    at: Date;
  }) =>
    db.exec(
      `WITH g AS (UPDATE generations SET status = $3, updated_at = $12, finished_at = $12 WHERE id = $1)
       UPDATE messages SET status = $3, content = $4, reasoning = NULLIF($5, ''), error_code = $6,
              error_message = $7, prompt_tokens = $8, completion_tokens = $9, credits = $10,
              upstream_cost_usd = $11
        WHERE id = $2`,
      [
        f.generationId,
        f.messageId,
        f.status,
        f.content,
        f.reasoning,
        f.error?.code ?? null,
        f.error?.message ?? null,
        f.promptTokens,
        f.completionTokens,
        f.credits,
        f.costUsd,
        f.at,
      ],
    ),

  /** Replies whose instance died mid-stream: nothing has touched them for `idleSince`. */
  failAbandoned: (idleSince: Date, at: Date) =>
    db.exec(
      `WITH g AS (
         UPDATE generations SET status = 'failed', updated_at = $2, finished_at = $2
          WHERE status = 'streaming' AND updated_at < $1 RETURNING message_id)
       UPDATE messages SET status = 'failed', error_code = 'abandoned',
              error_message = 'The reply was interrupted by a server restart'
        WHERE id IN (SELECT message_id FROM g)`,
      [idleSince, at],
    ),
});
