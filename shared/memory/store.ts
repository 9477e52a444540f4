import type { BillingPart } from '../billing/metering-store';
import type { Db } from '../db/db';
import type { MemoryKind } from '../contracts/memories';

export interface MemoryRow {
  id: string;
  user_id: string;
  text: string;
  kind: MemoryKind;
  source: 'extracted' | 'user';
  /** The embedder of the memory's vector, which lives in the vector store (VectorStore.memories). */
  embedding_model: string;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, user_id, text, kind, source, embedding_model, created_at, updated_at';

/**
 * Facts recalled whatever the question: who the user is and which language they speak
 * (PostgreSQL's regular expressions: \y is a word boundary).
 */
export const PROFILE_PATTERN =
  '^(name is|is called|speaks|prefers to be called|preferred language|language)\\y';

/** Memories and the extractor's receipts; every query carries the owner. */
export const memoryStore = (db: Db) => ({
  list: (userId: string) =>
    db.many<MemoryRow>(
      `SELECT ${COLUMNS} FROM memories WHERE user_id = $1 ORDER BY updated_at DESC, id DESC`,
      [userId],
    ),

  /** The user's memories among `ids` (a vector whose memory is gone finds nothing), and the profile facts. */
  recallable: (userId: string, ids: string[]) =>
    db.many<MemoryRow & { profile: boolean }>(
      `SELECT ${COLUMNS}, text ~* $3 AS profile FROM memories
        WHERE user_id = $1 AND (id = ANY($2::text[]) OR text ~* $3) ORDER BY updated_at DESC, id DESC`,
      [userId, ids, PROFILE_PATTERN],
    ),

  get: (userId: string, id: string) =>
    db.maybeOne<MemoryRow>(`SELECT ${COLUMNS} FROM memories WHERE id = $1 AND user_id = $2`, [id, userId]),

  insert: (m: {
    id: string;
    userId: string;
    text: string;
    kind: MemoryKind;
    source: 'extracted' | 'user';
    embeddingModel: string;
    at: Date;
  }) =>
    db.one<MemoryRow>(
      `INSERT INTO memories (id, user_id, text, kind, source, embedding_model, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING ${COLUMNS}`,
      [m.id, m.userId, m.text, m.kind, m.source, m.embeddingModel, m.at],
    ),

  update: (
    userId: string,
    id: string,
    m: {
      text: string;
      kind?: MemoryKind;
      source?: 'extracted' | 'user';
      embeddingModel: string;
      at: Date;
    },
  ) =>
    db.maybeOne<MemoryRow>(
      `UPDATE memories SET text = $3, kind = COALESCE($4, kind), source = COALESCE($5, source),
              embedding_model = $6, updated_at = $7
        WHERE id = $1 AND user_id = $2 RETURNING ${COLUMNS}`,
      [id, userId, m.text, m.kind ?? null, m.source ?? null, m.embeddingModel, m.at],
    ),

  delete: async (userId: string, id: string) =>
    (await db.exec('DELETE FROM memories WHERE id = $1 AND user_id = $2', [id, userId])) === 1,

  deleteAll: (userId: string) => db.exec('DELETE FROM memories WHERE user_id = $1', [userId]),

  /**
   * Claims a reply for extraction and bills its call in the same statement; false when it was
   * processed already (a redelivery), and then nothing is billed.
   */
  claimExtraction: async (userId: string, messageId: string, at: Date, bill: BillingPart | null) => {
    const n = bill?.params.length ?? 0;
    const row = await db.one<{ claimed: boolean }>(
      `WITH x AS (
         INSERT INTO memory_extractions (message_id, user_id, changed, created_at) VALUES ($${n + 1}, $${n + 2}, 0, $${n + 3})
         ON CONFLICT (message_id) DO NOTHING RETURNING 1
       )${bill ? `, ${bill.ctes('x')}` : ''}
       SELECT EXISTS (SELECT 1 FROM x) AS claimed`,
      [...(bill?.params ?? []), messageId, userId, at],
    );
    return row.claimed;
  },

  setChanged: (messageId: string, changed: number) =>
    db.exec('UPDATE memory_extractions SET changed = $2 WHERE message_id = $1', [messageId, changed]),

  /** The reply whose exchange changed a memory shows a note saying so. */
  markReplyUpdated: (userId: string, messageId: string) =>
    db.exec('UPDATE messages SET memory_updated = true WHERE id = $1 AND user_id = $2', [messageId, userId]),

  /**
   * The exchange a reply closes: the reply, its question, whether memory may touch it, and
   * whether it was extracted already (a redelivered job), in one round trip.
   */
  exchange: (userId: string, conversationId: string, messageId: string) =>
    db.maybeOne<{
      question: string | null;
      answer: string;
      incognito: boolean;
      memory_enabled: boolean;
      extracted: boolean;
      /** The balance, for whether the user can pay for the extraction. */
      credits: string | number;
      held: string | number;
    }>(
      `SELECT q.content AS question, r.content AS answer, c.incognito, u.memory_enabled, u.credits, u.held,
              EXISTS (SELECT 1 FROM memory_extractions e WHERE e.message_id = r.id) AS extracted
         FROM messages r
         JOIN conversations c ON c.id = r.conversation_id AND c.user_id = $1
         JOIN users u ON u.id = $1
         LEFT JOIN messages q ON q.id = r.parent_id AND q.user_id = $1 AND q.role = 'user'
        WHERE r.id = $3 AND r.conversation_id = $2 AND r.user_id = $1 AND r.role = 'assistant'`,
      [userId, conversationId, messageId],
    ),

  profile: (userId: string) =>
    db.maybeOne<{ name: string | null; memory_enabled: boolean; has_memories: boolean }>(
      `SELECT name, memory_enabled, EXISTS (SELECT 1 FROM memories WHERE user_id = $1) AS has_memories
         FROM users WHERE id = $1`,
      [userId],
    ),
});
