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
import { memoryStore, type MemoryRow } from './store';
import { memoryBlock } from './prompt';

/** A candidate this close to an existing memory says nothing new. */
export const DUPLICATE_SIMILARITY = 0.9;
/** Recall takes memories at least this similar to the new message. */
export const RECALL_FLOOR = 0.2;
/** The most of the prompt recalled memories may take. */
export const RECALL_TOKEN_BUDGET = 400;
/** Facts recalled whatever the question: who the user is and which language they speak. */
const PROFILE = /^(name is|is called|speaks|prefers to be called|preferred language|language)\b/i;

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

/** The most an extraction may answer: a few short memories. */
const EXTRACTION_TOKENS = 500;

export function memoryService(deps: {
  db: Db;
  clock: Clock;
  embedder: Embedder;
  upstream: ChatUpstream;
  models: ModelService;
  metering: Metering;
  /** The small model that extracts memories. */
  model: string;
}) {
  const { db, clock, embedder } = deps;
  const embedOne = async (text: string) => (await embedder.embed([text]))[0]!;
  const comparable = (r: MemoryRow) => r.embedding_model === embedder.model;

  return {
    list: async (userId: string) => (await memoryStore(db).list(userId)).map(toMemory),

    async create(userId: string, body: CreateMemoryBody): Promise<Memory> {
      const embedding = await embedOne(body.text);
      const row = await memoryStore(db).insert({
        id: newId(clock.now().getTime()),
        userId,
        text: body.text,
        kind: body.kind ?? 'fact',
        source: 'user',
        embedding,
        embeddingModel: embedder.model,
        at: clock.now(),
      });
      return toMemory(row);
    },

    async update(userId: string, id: string, text: string): Promise<Memory> {
      if (!(await memoryStore(db).get(userId, id))) throw notFound('That memory');
      const embedding = await embedOne(text);
      const row = await memoryStore(db).update(userId, id, {
        text,
        source: 'user',
        embedding,
        embeddingModel: embedder.model,
        at: clock.now(),
      });
      if (!row) throw notFound('That memory');
      return toMemory(row);
    },

    async delete(userId: string, id: string): Promise<void> {
      if (!(await memoryStore(db).delete(userId, id))) throw notFound('That memory');
    },

    async deleteAll(userId: string): Promise<void> {
      await memoryStore(db).deleteAll(userId);
    },

    /**
     * Reads one finished reply's exchange and keeps what the user said about themselves: a
     * near-duplicate is skipped, a correction replaces the memory it names, the rest is added.
     * Runs once per reply (a redelivered job changes nothing); a failure throws so the queue
     * retries. Returns how many memories changed, or null when nothing was run.
     */
    async extract(userId: string, conversationId: string, messageId: string): Promise<number | null> {
      const store = memoryStore(db);
      if (await store.isExtracted(messageId)) return null;
      const exchange = await store.exchange(userId, conversationId, messageId);
      if (!exchange || exchange.incognito || !exchange.memory_enabled || !exchange.question) return null;
      // A model we cannot price is not called: memory is a convenience, never unbilled work.
      const model = await deps.models.require(deps.model).catch(() => null);
      if (!model) return null;
      const existing = await store.list(userId);
      const messages = [
        { role: 'system' as const, content: EXTRACTION_INSTRUCTIONS },
        {
          role: 'user' as const,
          content:
            `Existing memories:\n${existing.map((m) => `[${m.id}] ${m.text}`).join('\n') || '(none)'}\n\n` +
            `User: ${exchange.question.slice(0, 4000)}\n\nAssistant: ${exchange.answer.slice(0, 1500)}`,
        },
      ];
      const promptTokens = messages.reduce((n, m) => n + countMessageTokens(m.content), 0);
      // Extraction runs on a paid model after replies on free ones too: without credit to pay for
      // it, nothing is extracted rather than the operator paying.
      if (!(await deps.metering.affords(db, { userId, model, promptTokens, maxTokens: EXTRACTION_TOKENS }))) {
        return null;
      }
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
      const vectors = answer.memories.length ? await embedder.embed(answer.memories.map((m) => m.text)) : [];

      return db.tx(async (tx) => {
        const s = memoryStore(tx);
        if (!(await s.claimExtraction(userId, messageId, clock.now()))) return null;
        if (reply.usage) {
          await deps.metering.charge(tx, {
            userId,
            reference: `memory:${messageId}`,
            purpose: 'memory',
            model,
            usage: reply.usage,
          });
        }
        const known = existing.filter(comparable);
        let changed = 0;
        for (const [i, candidate] of answer.memories.entries()) {
          const embedding = vectors[i]!;
          const at = clock.now();
          // Only one of this user's own memories can be updated, whatever id the model names.
          const target = candidate.updates ? existing.find((m) => m.id === candidate.updates) : undefined;
          if (target) {
            if (target.text === candidate.text) continue;
            const row = await s.update(userId, target.id, {
              text: candidate.text,
              kind: candidate.kind,
              source: 'extracted',
              embedding,
              embeddingModel: embedder.model,
              at,
            });
            if (row) {
              const k = known.findIndex((m) => m.id === row.id);
              if (k >= 0) known[k] = row;
              else known.push(row);
              changed++;
            }
            continue;
          }
          const best = Math.max(0, ...known.map((m) => cosine(m.embedding, embedding)));
          if (best >= DUPLICATE_SIMILARITY) continue;
          known.push(
            await s.insert({
              id: newId(at.getTime()),
              userId,
              text: candidate.text,
              kind: candidate.kind,
              source: 'extracted',
              embedding,
              embeddingModel: embedder.model,
              at,
            }),
          );
          changed++;
        }
        await s.setChanged(messageId, changed);
        if (changed > 0) await s.markReplyUpdated(userId, messageId);
        return changed;
      });
    },

    /**
     * The memories worth a new message: profile facts always, the rest when similar enough to
     * the message, most similar first, within a token budget. Null when there is nothing.
     */
    async recall(userId: string, question: string): Promise<string | null> {
      const store = memoryStore(db);
      const [rows, profile] = await Promise.all([store.list(userId), store.profile(userId)]);
      if (!profile?.memory_enabled) return null;
      const usable = rows.filter(comparable);
      if (!usable.length) return null;
      const vector = await embedOne(question.slice(0, 4000));
      const always = usable.filter((m) => PROFILE.test(m.text));
      const scored = usable
        .filter((m) => !PROFILE.test(m.text))
        .map((m) => ({ m, score: cosine(m.embedding, vector) }))
        .filter((x) => x.score >= RECALL_FLOOR)
        .sort((a, b) => b.score - a.score);
      const chosen: string[] = [];
      let budget = RECALL_TOKEN_BUDGET;
      for (const m of [...always, ...scored.map((x) => x.m)]) {
        const cost = countTokens(m.text) + 2;
        if (cost > budget) continue;
        budget -= cost;
        chosen.push(m.text);
      }
      return memoryBlock({ name: profile.name, memories: chosen });
    },
  };
}
