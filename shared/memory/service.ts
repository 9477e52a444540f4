import { countMessageTokens } from '../chat/tokens';
import { z } from 'zod';
import type { Metering } from '../billing/metering';
import { countTokens } from '../chat/tokens';
import type { Clock } from '../clock';
import { MAX_MEMORY_CHARS, memoryKind, type CreateMemoryBody, type Memory } from '../contracts/memories';
import type { Db } from '../db/db';
import { cosine, type Embedder } from '../embeddings/embedder';
import { notFound } from '../errors';
import { newId } from '../ids';
import type { ChatUpstream } from '../llm/upstream';
import type { ModelService } from '../models/service';
import type { MemoryVectors } from '../vectors/store';
import { memoryStore, type MemoryRow } from './store';
import { memoryBlock } from './prompt';

/** A candidate this close to an existing memory says nothing new. */
export const DUPLICATE_SIMILARITY = 0.9;
/** Recall takes memories at least this similar to the new message. */
export const RECALL_FLOOR = 0.2;
/** The most of the prompt recalled memories may take. */
export const RECALL_TOKEN_BUDGET = 400;
/** Memories recall considers at most: more than the token budget can take. */
const RECALL_CANDIDATES = 24;

export const toMemory = (r: MemoryRow): Memory => ({
  id: r.id,
  text: r.text,
  kind: r.kind,
  source: r.source,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

/** The extractor's answer: the JSON schema sent upstream and the zod schema that checks it. */
export const EXTRACTION_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['memories'],
  properties: {
    memories: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['text', 'kind', 'updates'],
        properties: {
          text: { type: 'string', description: 'The fact in the third person, e.g. "Lives in Lyon".' },
          kind: { type: 'string', enum: ['fact', 'preference'] },
          updates: {
            type: ['string', 'null'],
            description: 'The id of the existing memory this one corrects or refines, else null.',
          },
        },
      },
    },
  },
} as const;

export const extractionAnswer = z.object({
  memories: z
    .array(
      z.object({
        text: z.string().trim().min(1).max(MAX_MEMORY_CHARS),
        kind: memoryKind,
        updates: z.string().nullable(),
      }),
    )
    .max(20),
});

const EXTRACTION_INSTRUCTIONS =
  'You maintain the long-term memory of an assistant about its user. From the exchange below, list ' +
  'the durable facts and preferences the USER stated about themselves (where they live, their name, ' +
  'diet, job, family, languages, lasting likes and dislikes). Ignore the assistant’s words, questions, ' +
  'passing requests and anything temporary. Write each in the third person without the subject ' +
  '("Lives in Lyon", "Is vegetarian", "Prefers short answers"). When one corrects or refines an existing ' +
  'memory, set "updates" to that memory’s id; otherwise null. Repeat nothing already remembered. ' +
  'Answer with JSON only: {"memories": [...]}; an empty list when there is nothing.';

/** A model's JSON, with or without a code fence around it. */
function parseJson(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text);
  return JSON.parse((fenced?.[1] ?? text).trim());
}

export type MemoryService = ReturnType<typeof memoryService>;

/** Memories the extractor is shown at most, of which the most recent (see shownToExtractor). */
export const EXTRACTION_CONTEXT = 40;
const EXTRACTION_RECENT = 10;

/** The most an extraction may answer: a few short memories. */
const EXTRACTION_TOKENS = 500;

export function memoryService(deps: {
  db: Db;
  clock: Clock;
  embedder: Embedder;
  upstream: ChatUpstream;
  models: ModelService;
  metering: Metering;
  /** Where the memories' vectors live: the documents' vector store. */
  vectors: MemoryVectors;
  /** The small model that extracts memories. */
  model: string;
}) {
  const { db, clock, embedder, vectors } = deps;
  const embedOne = async (text: string) => (await embedder.embed([text]))[0]!;
  /**
   * The vector goes in before the row is written and out after it is deleted: a vector whose
   * row is missing is never recalled (rows are the truth), while a row without its vector
   * would be silently forgotten.
   */
  const putVector = (userId: string, memoryId: string, embedding: number[]) =>
    vectors.put({ userId, memoryId, model: embedder.model, embedding });

  /**
   * The memories the extractor sees, to repeat none and name the one a correction replaces:
   * all of a few, else the most recent and those nearest the user's words. Listing all of
   * 1,000 made each reply's extraction cost ~20,000 prompt tokens (bench/memory.ts).
   */
  async function shownToExtractor(userId: string, all: MemoryRow[], said: string): Promise<MemoryRow[]> {
    if (all.length <= EXTRACTION_CONTEXT) return all;
    const near = await vectors.nearest({
      userId,
      embedding: await embedOne(said.slice(0, 4000)),
      model: embedder.model,
      limit: EXTRACTION_CONTEXT - EXTRACTION_RECENT,
      minSimilarity: -1,
    });
    const byId = new Map(all.map((m) => [m.id, m]));
    // `all` is newest first.
    const ids = new Set([
      ...all.slice(0, EXTRACTION_RECENT).map((m) => m.id),
      ...near.map((h) => h.memoryId),
    ]);
    return [...ids].flatMap((id) => byId.get(id) ?? []);
  }

  return {
    list: async (userId: string) => (await memoryStore(db).list(userId)).map(toMemory),

    async create(userId: string, body: CreateMemoryBody): Promise<Memory> {
      const id = newId(clock.now().getTime());
      await putVector(userId, id, await embedOne(body.text));
      const row = await memoryStore(db).insert({
        id,
        userId,
        text: body.text,
        kind: body.kind ?? 'fact',
        source: 'user',
        embeddingModel: embedder.model,
        at: clock.now(),
      });
      return toMemory(row);
    },

    async update(userId: string, id: string, text: string): Promise<Memory> {
      if (!(await memoryStore(db).get(userId, id))) throw notFound('That memory');
      await putVector(userId, id, await embedOne(text));
      const row = await memoryStore(db).update(userId, id, {
        text,
        source: 'user',
        embeddingModel: embedder.model,
        at: clock.now(),
      });
      if (!row) throw notFound('That memory');
      return toMemory(row);
    },

    async delete(userId: string, id: string): Promise<void> {
      if (!(await memoryStore(db).delete(userId, id))) throw notFound('That memory');
      await vectors.delete(userId, id);
    },

    async deleteAll(userId: string): Promise<void> {
      await memoryStore(db).deleteAll(userId);
      await vectors.deleteAll(userId);
    },

    /**
     * Reads one finished reply's exchange and keeps what the user said about themselves: a
     * near-duplicate is skipped, a correction replaces the memory it names, the rest is added.
     * Runs once per reply (a redelivered job changes nothing); a failure throws so the queue
     * retries. Returns how many memories changed, or null when nothing was run.
     */
    async extract(userId: string, conversationId: string, messageId: string): Promise<number | null> {
      const store = memoryStore(db);
      const exchange = await store.exchange(userId, conversationId, messageId);
      if (
        !exchange ||
        exchange.extracted ||
        exchange.incognito ||
        !exchange.memory_enabled ||
        !exchange.question
      )
        return null;
      // A model we cannot price is not called: memory is a convenience, never unbilled work.
      const model = await deps.models.require(deps.model).catch(() => null);
      if (!model) return null;
      const existing = await store.list(userId);
      const shown = await shownToExtractor(userId, existing, exchange.question);
      const messages = [
        { role: 'system' as const, content: EXTRACTION_INSTRUCTIONS },
        {
          role: 'user' as const,
          content:
            `Existing memories:\n${shown.map((m) => `[${m.id}] ${m.text}`).join('\n') || '(none)'}\n\n` +
            `User: ${exchange.question.slice(0, 4000)}\n\nAssistant: ${exchange.answer.slice(0, 1500)}`,
        },
      ];
      const promptTokens = messages.reduce((n, m) => n + countMessageTokens(m.content), 0);
      // Extraction runs on a paid model after replies on free ones too: without credit to pay for
      // it, nothing is extracted rather than the operator paying.
      const balance = { credits: Number(exchange.credits), held: Number(exchange.held) };
      if (!deps.metering.covers(balance, { model, promptTokens, maxTokens: EXTRACTION_TOKENS })) return null;
      const reply = await deps.upstream.complete({
        model: deps.model,
        maxTokens: EXTRACTION_TOKENS,
        temperature: 0,
        responseFormat: {
          type: 'json_schema',
          json_schema: { name: 'memories', strict: true, schema: EXTRACTION_SCHEMA },
        },
        messages,
      });
      const answer = extractionAnswer.parse(parseJson(reply.text));
      const embedded = answer.memories.length ? await embedder.embed(answer.memories.map((m) => m.text)) : [];

      // Decided before the transaction, whose connection the vector store must not wait for.
      const existingIds = new Set(existing.map((m) => m.id));
      const written: { id: string; embedding: number[] }[] = [];
      const plan: { id: string; update: boolean; candidate: (typeof answer.memories)[number] }[] = [];
      for (const [i, candidate] of answer.memories.entries()) {
        const embedding = embedded[i]!;
        // Only one of this user's own memories can be updated, whatever id the model names.
        const target = candidate.updates ? existing.find((m) => m.id === candidate.updates) : undefined;
        if (target) {
          if (target.text === candidate.text) continue;
          plan.push({ id: target.id, update: true, candidate });
          written.push({ id: target.id, embedding });
          continue;
        }
        // A near-duplicate of a memory the user has (whose stored vector is current, unless this
        // run updates it) or of one this run writes says nothing new.
        const stale = new Set(written.map((w) => w.id));
        const similar = await vectors.nearest({
          userId,
          embedding,
          model: embedder.model,
          limit: 3,
          minSimilarity: DUPLICATE_SIMILARITY,
        });
        if (similar.some((h) => existingIds.has(h.memoryId) && !stale.has(h.memoryId))) continue;
        if (written.some((w) => cosine(w.embedding, embedding) >= DUPLICATE_SIMILARITY)) continue;
        const id = newId(clock.now().getTime());
        plan.push({ id, update: false, candidate });
        written.push({ id, embedding });
      }
      for (const w of written) await putVector(userId, w.id, w.embedding);

      const bill = reply.usage
        ? deps.metering.chargeOf({
            userId,
            reference: `memory:${messageId}`,
            purpose: 'memory',
            model,
            usage: reply.usage,
          })
        : null;
      // Most replies teach nothing: claimed and billed in one statement, no transaction.
      if (plan.length === 0)
        return (await store.claimExtraction(userId, messageId, clock.now(), bill)) ? 0 : null;

      return db.tx(async (tx) => {
        const s = memoryStore(tx);
        if (!(await s.claimExtraction(userId, messageId, clock.now(), bill))) return null;
        let changed = 0;
        for (const { id, update, candidate } of plan) {
          const at = clock.now();
          const fields = {
            text: candidate.text,
            kind: candidate.kind,
            source: 'extracted' as const,
            embeddingModel: embedder.model,
            at,
          };
          if (update) {
            if (await s.update(userId, id, fields)) changed++;
          } else {
            await s.insert({ id, userId, ...fields });
            changed++;
          }
        }
        // The claim recorded 0 changes: the count is written only when some were made.
        if (changed > 0) {
          await s.setChanged(messageId, changed);
          await s.markReplyUpdated(userId, messageId);
        }
        return changed;
      });
    },

    /**
     * The memories worth a new message: profile facts always, the rest when similar enough to
     * the message, most similar first, within a token budget. Null when there is nothing.
     * The vector store finds the similar ones; the rows say which still exist.
     */
    async recall(userId: string, question: string): Promise<string | null> {
      const store = memoryStore(db);
      const profile = await store.profile(userId);
      if (!profile?.memory_enabled || !profile.has_memories) return null;
      const hits = await vectors.nearest({
        userId,
        embedding: await embedOne(question.slice(0, 4000)),
        model: embedder.model,
        limit: RECALL_CANDIDATES,
        minSimilarity: RECALL_FLOOR,
      });
      const rows = await store.recallable(
        userId,
        hits.map((h) => h.memoryId),
      );
      const byId = new Map(rows.map((r) => [r.id, r]));
      const always = rows.filter((r) => r.profile);
      const similar = hits.flatMap((h) => {
        const r = byId.get(h.memoryId);
        return r && !r.profile ? [r] : [];
      });
      const chosen: string[] = [];
      let budget = RECALL_TOKEN_BUDGET;
      for (const m of [...always, ...similar]) {
        const cost = countTokens(m.text) + 2;
        if (cost > budget) continue;
        budget -= cost;
        chosen.push(m.text);
      }
      return memoryBlock({ name: profile.name, memories: chosen });
    },
  };
}
