import { CHARGED, type BillingPart } from '../billing/metering-store';
import type { Db } from '../db/db';
import type { ConversationRow, MessageRow } from '../conversations/store';
import type { DoneReason } from '../contracts/chat-stream';
import type { Citation, MessageError } from '../contracts/conversations';
import {
  reservationFactsSql,
  toReservationFacts,
  type FactWindows,
  type ReservationFacts,
  type ReservationFactsRow,
} from '../billing/metering-store';

export type ReplyStatus = 'complete' | 'stopped' | 'failed';

/** A turn on the path from the root to where the new message goes. */
export interface PathTurn {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  status: MessageRow['status'];
  /** The images a user turn carries (re-sent with it in later prompts). */
  imageIds?: string[];
}

/**
 * Where a reply hangs: `active` continues the active branch, `parent` follows the given message
 * (null: a new branch from the start), `regenerate` answers again the user message that the
 * given assistant message answered.
 */
export type Anchor =
  | { kind: 'active' }
  | { kind: 'parent'; messageId: string | null }
  | { kind: 'regenerate'; messageId: string };

export interface ReplyContext {
  conversation: ConversationRow;
  /** The user has ready documents: only then does a reply pay for retrieval. */
  hasDocuments: boolean;
  /** The user has memories and memory on: only then does a reply pay for recall. */
  hasMemories: boolean;
  /** The message the reply's question follows (send) or the question itself (regenerate). */
  anchorId: string | null;
  /** False when the anchor names a message that is not in this conversation. */
  anchorFound: boolean;
  anchorRole: 'user' | 'assistant' | null;
  /** Root first, the anchor last. */
  path: PathTurn[];
  /** What the reply's reservation is decided on (read without a lock: see Metering.plan). */
  limits: ReservationFacts;
}

/** A reservation decided on the context's facts, taken by `startReply` only if they still hold. */
export interface HeldStart {
  /** The balance row's version the facts were read at. */
  version: string;
  hold: number;
  free: boolean;
  maxTokens: number;
  expiresAt: Date;
}

/**
 * A start's hold, taken on the facts' version: CTE `u` writes the user's balance row (even for a
 * free reply, whose hold is 0, so a concurrent start decided on the same facts finds the version
 * moved) and `ok` says the start may go ahead (always, without `held`). On `heldParams`' five
 * parameters from $n; `user` names the user's id parameter.
 */
const heldCtes = (user: string, n: number) => `u AS (
         UPDATE users SET held = held + $${n + 1}
          WHERE $${n}::text IS NOT NULL AND id = ${user} AND xmin::text = $${n} AND credits - held >= $${n + 1}
         RETURNING id
       ), ok AS (
         SELECT 1 WHERE $${n}::text IS NULL OR EXISTS (SELECT 1 FROM u)
       )`;

/** `heldCtes`' parameters: version, hold, expiry, then (for the rows the start writes) reply length and free. */
const heldParams = (held: HeldStart | undefined) => [
  held?.version ?? null,
  held?.hold ?? 0,
  held?.expiresAt ?? null,
  held?.maxTokens ?? null,
  held?.free ?? null,
];

/** How a reply ended, as its generation and message rows keep it. */
export interface ReplyEnd {
  generationId: string;
  /** Null for a call through the API: only its generation row is ended. */
  messageId: string | null;
  status: ReplyStatus;
  content: string;
  reasoning: string;
  error: MessageError | null;
  finishReason: DoneReason | null;
  promptTokens: number;
  completionTokens: number;
  costUsd: number | null;
  at: Date;
}

/** Messages and generation rows of the chat flow; every query carries the owner. */
export const chatStore = (db: Db) => ({
  /**
   * The conversation (null when it is not the user's), the branch a new reply builds on and the
   * facts its reservation is decided on, in one round trip: it sits between the user's click and
   * the first byte.
   */
  replyContext: async (
    userId: string,
    conversationId: string,
    anchor: Anchor,
    windows: FactWindows,
  ): Promise<ReplyContext | null> => {
    const row = await db.maybeOne<
      ConversationRow & {
        anchor_id: string | null;
        anchor_exists: boolean;
        has_documents: boolean;
        has_memories: boolean;
        anchor_role: 'user' | 'assistant' | null;
        path: PathTurn[];
        limits: ReservationFactsRow | null;
      }
    >(
      `WITH RECURSIVE c AS (SELECT * FROM conversations WHERE id = $1 AND user_id = $2),
       anchor AS (
         SELECT CASE $3
                  WHEN 'active' THEN (SELECT active_message_id FROM c)
                  WHEN 'parent' THEN $4::text
                  ELSE (SELECT parent_id FROM messages
                         WHERE id = $4 AND conversation_id = $1 AND user_id = $2 AND role = 'assistant')
                END AS id,
                $3 <> 'regenerate' OR EXISTS (SELECT 1 FROM messages
                         WHERE id = $4 AND conversation_id = $1 AND user_id = $2 AND role = 'assistant') AS exists_ok),
       path AS (
         SELECT m.id, m.parent_id, m.role, m.content, m.status, m.image_ids, 0 AS depth
           FROM messages m JOIN anchor a ON m.id = a.id
          WHERE m.conversation_id = $1 AND m.user_id = $2
         UNION ALL
         SELECT m.id, m.parent_id, m.role, m.content, m.status, m.image_ids, p.depth + 1
           FROM messages m JOIN path p ON m.id = p.parent_id
       )
       SELECT c.*,
              (SELECT id FROM anchor) AS anchor_id,
              (SELECT exists_ok FROM anchor) AS anchor_exists,
              EXISTS (SELECT 1 FROM documents d WHERE d.user_id = $2 AND d.status = 'ready') AS has_documents,
              EXISTS (SELECT 1 FROM memories mm JOIN users mu ON mu.id = mm.user_id
                       WHERE mm.user_id = $2 AND mu.memory_enabled) AS has_memories,
              (SELECT role FROM path WHERE depth = 0) AS anchor_role,
              COALESCE((SELECT json_agg(json_build_object('id', id, 'role', role, 'content', content, 'status', status,
                                                          'imageIds', image_ids)
                                 ORDER BY depth DESC) FROM path), '[]'::json) AS path,
              (SELECT row_to_json(f) FROM (${reservationFactsSql({ user: '$2', liveSince: '$5', monthStart: '$6', minuteAgo: '$7', dayAgo: '$8', exclude: "''" })}) f) AS limits
         FROM c`,
      [
        conversationId,
        userId,
        anchor.kind,
        anchor.kind === 'active' ? null : anchor.messageId,
        windows.liveSince,
        windows.monthStart,
        windows.minuteAgo,
        windows.dayAgo,
      ],
    );
    // No balance row: the account is gone, and its conversations with it.
    if (!row?.limits) return null;
    const {
      anchor_id,
      anchor_exists,
      anchor_role,
      has_documents,
      has_memories,
      path,
      limits,
      ...conversation
    } = row;
    return {
      limits: toReservationFacts(limits),
      conversation,
      hasDocuments: has_documents,
      hasMemories: has_memories,
      anchorId: anchor_id,
      anchorFound: anchor_exists && (anchor_id === null || anchor_role !== null),
      anchorRole: anchor_role,
      path,
    };
  },

  /**
   * The question (unless regenerating), the empty reply and its generation row, with the
   * conversation moved to the top and its active branch on the reply, in one round trip. With
   * `held`, the same statement takes the reservation's hold, and does all of it only if the
   * balance row is still at the version the reservation was decided on (and covers the hold):
   * false means nothing was written, and the reply starts the locked way instead.
   */
  startReply: async (r: {
    /** Absent when regenerating: the reply answers an existing question. */
    question?: { id: string; parentId: string | null; content: string; imageIds: string[] };
    replyId: string;
    /** The user message the reply answers. */
    replyParentId: string;
    generationId: string;
    conversationId: string;
    userId: string;
    model: string;
    promptTokens: number;
    /** The sources the reply was given, shown under it. */
    citations: Citation[];
    at: Date;
    held?: HeldStart;
  }): Promise<boolean> => {
    const row = await db.one<{ started: boolean }>(
      `WITH ${heldCtes('$5', 14)}, h AS (
         INSERT INTO holds (generation_id, user_id, credits, created_at, expires_at)
         SELECT $3, id, $15, $9, $16 FROM u WHERE $15 > 0
       ), q AS (
         INSERT INTO messages (id, conversation_id, user_id, parent_id, role, content, model, status, image_ids, created_at)
         SELECT $1, $4, $5, $2, 'user', $6, $8, 'complete', $7, $9 FROM ok WHERE $1::text IS NOT NULL
         RETURNING id
       ), a AS (
         INSERT INTO messages (id, conversation_id, user_id, parent_id, role, content, model, status, image_ids,
                               citations, max_tokens, created_at)
         SELECT $10, $4, $5, $11, 'assistant', '', $8, 'streaming', '{}', $13::jsonb, $17,
                $9::timestamptz + interval '1 millisecond' FROM ok
         RETURNING id
       ), g AS (
         INSERT INTO generations (id, message_id, conversation_id, user_id, model, status, started_at, updated_at,
                                  prompt_tokens, max_tokens, free)
         SELECT $3, a.id, $4, $5, $8, 'streaming', $9, $9, $12, COALESCE($17, 0), COALESCE($18, false) FROM a
       ), c AS (
         UPDATE conversations SET updated_at = $9, model = $8, active_message_id = $10
          WHERE id = $4 AND user_id = $5 AND EXISTS (SELECT 1 FROM ok)
       )
       SELECT EXISTS (SELECT 1 FROM ok) AS started`,
      [
        r.question?.id ?? null,
        r.question?.parentId ?? null,
        r.generationId,
        r.conversationId,
        r.userId,
        r.question?.content ?? '',
        r.question?.imageIds ?? [],
        r.model,
        r.at,
        r.replyId,
        r.replyParentId,
        r.promptTokens,
        JSON.stringify(r.citations),
        ...heldParams(r.held),
      ],
    );
    return row.started;
  },

  /**
   * The generation row of a call through the API; with `held`, its hold is taken in the same
   * statement if the user's balance row is still at the version its facts were read at (as
   * `startReply`). False when that version moved: nothing was written.
   */
  startCompletion: async (c: {
    generationId: string;
    userId: string;
    apiKeyId: string;
    model: string;
    promptTokens: number;
    at: Date;
    held?: HeldStart;
  }): Promise<boolean> => {
    const row = await db.one<{ started: boolean }>(
      `WITH ${heldCtes('$2', 7)}, g AS (
         INSERT INTO generations (id, user_id, api_key_id, model, status, started_at, updated_at, prompt_tokens,
                                  max_tokens, free)
         SELECT $1, $2, $3, $4, 'streaming', $5, $5, $6, COALESCE($10, 0), COALESCE($11, false) FROM ok
       ), h AS (
         INSERT INTO holds (generation_id, user_id, credits, created_at, expires_at)
         SELECT $1, id, $8, $5, $9 FROM u WHERE $8 > 0
       )
       SELECT EXISTS (SELECT 1 FROM ok) AS started`,
      [c.generationId, c.userId, c.apiKeyId, c.model, c.at, c.promptTokens, ...heldParams(c.held)],
    );
    return row.started;
  },

  /** A call refused before its first byte leaves nothing behind. */
  undoCompletion: (generationId: string) => db.exec(`DELETE FROM generations WHERE id = $1`, [generationId]),

  /** Records the reply length the hold allowed, once the hold is taken. */
  setReplyLimit: (generationId: string, replyId: string | null, maxTokens: number) =>
    db.exec(
      `WITH g AS (UPDATE generations SET max_tokens = $3 WHERE id = $1)
       UPDATE messages SET max_tokens = $3 WHERE id = $2`,
      [generationId, replyId, maxTokens],
    ),

  /** A reply refused before its first byte: as if it had never been sent, branch included. */
  undoReply: (r: {
    userId: string;
    conversationId: string;
    messageIds: string[];
    activeMessageId: string | null;
  }) =>
    db.exec(
      `WITH d AS (DELETE FROM messages WHERE user_id = $1 AND id = ANY($2::text[]))
       UPDATE conversations SET active_message_id = $4 WHERE id = $3 AND user_id = $1`,
      [r.userId, r.messageIds, r.conversationId, r.activeMessageId],
    ),

  /**
   * The text so far of several replies at once, so a reload (on any instance) shows it; every
   * live reply's row is refreshed too, which is how the reaper tells a live reply from a dead one.
   */
  flushPartials: (
    partials: {
      generationId: string;
      messageId: string | null;
      content: string;
      reasoning: string;
      dirty: boolean;
    }[],
    at: Date,
  ) =>
    db.exec(
      `WITH p AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[])
                    AS p(gid, mid, content, reasoning, dirty)),
            g AS (UPDATE generations SET updated_at = $6 FROM p WHERE generations.id = p.gid AND status = 'streaming'
                  RETURNING generations.id)
       UPDATE messages m SET content = p.content, reasoning = NULLIF(p.reasoning, '')
         FROM p WHERE p.dirty AND m.id = p.mid AND m.status = 'streaming' AND p.gid IN (SELECT id FROM g)`,
      [
        partials.map((p) => p.generationId),
        partials.map((p) => p.messageId),
        partials.map((p) => p.content),
        partials.map((p) => p.reasoning),
        partials.map((p) => p.dirty),
        at,
      ],
    ),

  /**
   * Which of these replies should stop: someone asked, the row is gone (deleted), or something
   * else ended it (the reaper took it for dead).
   */
  stopsRequested: async (generationIds: string[]) => {
    const rows = await db.many<{ id: string; stop_requested: boolean }>(
      `SELECT id, stop_requested OR status <> 'streaming' AS stop_requested FROM generations WHERE id = ANY($1::text[])`,
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

  /**
   * Ends a reply that is still streaming and bills it, in one statement: `g` ends the generation
   * only if it still streams (its row lock waits for a reaper ending it meanwhile, which then
   * leaves `g` empty), the bill's CTEs run only if `g` did, and the message gets what was
   * charged. Without a bill (a model nobody can price) it is ended and charged nothing. Null
   * when the reply was no longer streaming (nothing billed); else the credits charged.
   */
  settle: async (bill: BillingPart | null, f: ReplyEnd): Promise<number | null> => {
    const p = (i: number) => `$${(bill?.params.length ?? 0) + i}`;
    const charged = bill ? CHARGED : '0';
    const row = await db.maybeOne<{ settled: boolean; charged: string | number | null }>(
      `WITH g AS (UPDATE generations SET status = ${p(3)}, updated_at = ${p(11)}, finished_at = ${p(11)}
                   WHERE id = ${p(1)} AND status = 'streaming' RETURNING id),
       ${bill ? `${bill.ctes('g')},` : ''}
       m AS (UPDATE messages SET status = ${p(3)}, content = ${p(4)}, reasoning = NULLIF(${p(5)}, ''),
                    error_code = ${p(6)}, error_message = ${p(7)}, prompt_tokens = ${p(8)},
                    completion_tokens = ${p(9)}, credits = COALESCE(${charged}, 0),
                    upstream_cost_usd = ${p(10)}, finish_reason = ${p(12)}
              WHERE id = ${p(2)} AND EXISTS (SELECT 1 FROM g))
       SELECT EXISTS (SELECT 1 FROM g) AS settled, ${charged} AS charged`,
      [
        ...(bill?.params ?? []),
        f.generationId,
        f.messageId,
        f.status,
        f.content,
        f.reasoning,
        f.error?.code ?? null,
        f.error?.message ?? null,
        f.promptTokens,
        f.completionTokens,
        f.costUsd,
        f.at,
        f.finishReason,
      ],
    );
    return row?.settled ? Number(row.charged ?? 0) : null;
  },

  /** Locks a reply that is still streaming, for whoever is about to end it. */
  lockStreaming: (generationId: string) =>
    db.maybeOne<{ id: string }>(
      `SELECT id FROM generations WHERE id = $1 AND status = 'streaming' FOR UPDATE`,
      [generationId],
    ),

  /** Replies whose instance died mid-stream: nothing has refreshed them since `idleSince`. */
  abandoned: (idleSince: Date, limit: number) =>
    db.many<{
      id: string;
      message_id: string | null;
      user_id: string;
      model: string;
      prompt_tokens: number;
      max_tokens: number;
      content: string;
      reasoning: string | null;
    }>(
      // A call through the API has no message: its text was never kept, so only its prompt is billed.
      `SELECT g.id, g.message_id, g.user_id, g.model, g.prompt_tokens, g.max_tokens,
              COALESCE(m.content, '') AS content, m.reasoning
         FROM generations g LEFT JOIN messages m ON m.id = g.message_id
        WHERE g.status = 'streaming' AND g.updated_at < $1
        ORDER BY g.updated_at LIMIT $2`,
      [idleSince, limit],
    ),

  /** A reply as the resume endpoint needs it; null when it is not this user's in this conversation. */
  replyState: (userId: string, conversationId: string, messageId: string) =>
    db.maybeOne<MessageRow & { generation_id: string | null; reply_to: string | null }>(
      `SELECT m.*, g.id AS generation_id, m.parent_id AS reply_to FROM messages m
         LEFT JOIN generations g ON g.message_id = m.id
        WHERE m.id = $1 AND m.conversation_id = $2 AND m.user_id = $3 AND m.role = 'assistant'`,
      [messageId, conversationId, userId],
    ),
});
