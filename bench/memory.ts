/**
 * The memory part of `npm run bench` (issue 9), in process: the memory service as the app wires
 * it (local lexical embedder, pgvector store on PGlite, the fake upstream over HTTP for
 * extraction), without the host.
 *
 * Recall: one user with BENCH_MEMORIES memories (1,000) beside another user with as many; each
 * question is recalled as chat recalls it before calling the upstream, so its time is what
 * memory adds before the first byte (chat runs it beside document retrieval: at most that).
 *
 * Extraction: one reply's exchange at a time through memoryService.extract, the tokens the
 * fake upstream reports for the call (prompt and completion, its chars ÷ 4), with the user
 * holding 0, 100 and 1,000 memories: the prompt lists what is already remembered.
 */
import type { Metering } from '../shared/billing/metering';
import { systemClock } from '../shared/clock';
import type { Db } from '../shared/db/db';
import { openDb } from '../shared/db/open';
import { localLexicalEmbedder } from '../shared/embeddings/lexical';
import { newId } from '../shared/ids';
import type { UpstreamUsage } from '../shared/llm/upstream';
import { openAiUpstream } from '../shared/llm/upstream';
import { memoryService } from '../shared/memory/service';
import { modelService } from '../shared/models/service';
import { pgvectorStore } from '../shared/vectors/pgvector';
import { startFakeUpstream } from '../dev/fake-upstream/server';
import { namePool, NOUNS, rng, zipf } from './prose';

const MEMORIES = Number(process.env.BENCH_MEMORIES) > 0 ? Number(process.env.BENCH_MEMORIES) : 1000;
const QUESTIONS = 60;
const EXTRACTION_MODEL = 'openai/gpt-4o-mini';
export const RECALL_TARGET_P50_MS = 30;

export interface MemoryFigures {
  memories: number;
  recall: { questions: number; p50Ms: number; p95Ms: number; recalledMedian: number };
  /** Tokens of one extraction call, by how many memories the user already had. */
  extraction: { existing: number; replies: number; promptTokens: number; completionTokens: number }[];
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
const now = () => Number(process.hrtime.bigint()) / 1e6;

const TEMPLATES = [
  (n: string, p: string) => `Likes the ${n} at ${p}`,
  (n: string, p: string) => `Has a ${n} named ${p}`,
  (n: string, p: string) => `Visited ${p} to see the ${n}`,
  (n: string, p: string) => `Prefers the ${n} over anything from ${p}`,
  (n: string, p: string) => `Works with ${p} on the ${n}`,
];

/** Memories as a person accumulates them: short third-person facts, seeded. */
function facts(seed: number, n: number): string[] {
  const r = rng(seed);
  const names = namePool(r, 300);
  return Array.from({ length: n }, (_, i) => {
    const t = TEMPLATES[i % TEMPLATES.length]!;
    return `${t(zipf(NOUNS, r), names[Math.floor(r() * names.length)]!)} (${i})`;
  });
}

async function addUser(db: Db, id: string): Promise<void> {
  await db.exec(`INSERT INTO users (id, email) VALUES ($1, $2)`, [id, `${id}@bench.invalid`]);
}

/** A finished exchange to extract from, as the chat leaves it. */
async function exchange(db: Db, userId: string, question: string, answer: string): Promise<[string, string]> {
  const at = new Date();
  const conversationId = newId();
  const q = newId();
  const a = newId();
  await db.exec(`INSERT INTO conversations (id, user_id, created_at, updated_at) VALUES ($1, $2, $3, $3)`, [
    conversationId,
    userId,
    at,
  ]);
  await db.exec(
    `INSERT INTO messages (id, conversation_id, user_id, role, content, status, created_at, parent_id)
     VALUES ($1, $3, $4, 'user', $5, 'complete', $7, NULL), ($2, $3, $4, 'assistant', $6, 'complete', $7, $1)`,
    [q, a, conversationId, userId, question, answer, at],
  );
  return [conversationId, a];
}

export async function benchMemory(): Promise<MemoryFigures> {
  const upstream = await startFakeUpstream({ port: 0 });
  const db = await openDb({ pgliteDir: 'memory://' });
  try {
    const usage: UpstreamUsage[] = [];
    // Extraction only asks whether the user can pay, then charges: the tokens it would bill
    // are what this measures.
    const metering = {
      affords: async () => true,
      charge: async (_tx: Db, c: { usage: UpstreamUsage }) => {
        usage.push(c.usage);
        return 0;
      },
    } as unknown as Metering;
    const models = modelService({
      db,
      clock: systemClock,
      markup: 1,
      fetchCatalogue: async (): Promise<unknown> => (await fetch(`${upstream.url}/models`)).json(),
    });
    await models.refresh();
    const memories = memoryService({
      db,
      clock: systemClock,
      embedder: localLexicalEmbedder(),
      upstream: openAiUpstream({ baseURL: upstream.url, appUrl: 'http://localhost' }),
      models,
      metering,
      vectors: pgvectorStore(db).memories,
      model: EXTRACTION_MODEL,
    });

    const user = 'bench-memory';
    const neighbour = 'bench-memory-neighbour';
    await addUser(db, user);
    await addUser(db, neighbour);
    await db.exec(`UPDATE users SET name = 'Ada' WHERE id = $1`, [user]);

    // Extraction cost as memories accumulate: 0, 100, then MEMORIES.
    const extraction: MemoryFigures['extraction'] = [];
    const own = facts(7, MEMORIES);
    const said = [
      ["I'm vegetarian", 'Noted: vegetarian dishes then.'],
      ['I live in Lyon', 'Lyon is a fine city.'],
      ['I speak French', 'Très bien.'],
    ] as const;
    let added = 0;
    for (const level of [0, 100, MEMORIES]) {
      for (; added < level; added++) await memories.create(user, { text: own[added]! });
      usage.length = 0;
      for (const [q, a] of said) {
        const [conversationId, messageId] = await exchange(db, user, q, a);
        await memories.extract(user, conversationId, messageId);
      }
      extraction.push({
        existing: level,
        replies: usage.length,
        promptTokens: usage.reduce((n, u) => n + u.promptTokens, 0) / Math.max(1, usage.length),
        completionTokens: usage.reduce((n, u) => n + u.completionTokens, 0) / Math.max(1, usage.length),
      });
    }
    for (const text of facts(11, MEMORIES)) await memories.create(neighbour, { text });

    // Recall, as chat asks it before the first byte.
    const r = rng(99);
    const questions = Array.from(
      { length: QUESTIONS + 3 },
      (_, i) => `What should I do with the ${zipf(NOUNS, r)} this weekend? (${i})`,
    );
    for (const q of questions.slice(0, 3)) await memories.recall(user, q);
    const times: number[] = [];
    const recalled: number[] = [];
    for (const q of questions.slice(3)) {
      const t = now();
      const block = await memories.recall(user, q);
      times.push(now() - t);
      recalled.push(block ? block.split('\n- ').length - 1 : 0);
    }
    times.sort((a, b) => a - b);
    recalled.sort((a, b) => a - b);
    return {
      memories: MEMORIES,
      recall: {
        questions: times.length,
        p50Ms: pct(times, 50),
        p95Ms: pct(times, 95),
        recalledMedian: pct(recalled, 50),
      },
      extraction,
    };
  } finally {
    await db.close();
    await upstream.close();
  }
}

export function memoryLines(f: MemoryFigures): string[] {
  const ok = f.recall.p50Ms <= RECALL_TARGET_P50_MS;
  return [
    `Memory (issue 9): one user with ${f.memories.toLocaleString('en')} memories beside another with as many, ` +
      `local lexical embedder, pgvector on PGlite`,
    `  recall before the first byte: p50 ${f.recall.p50Ms.toFixed(1)} ms · p95 ${f.recall.p95Ms.toFixed(1)} ms ` +
      `over ${f.recall.questions} questions (target p50 ≤ ${RECALL_TARGET_P50_MS} ms ${ok ? '✓' : '✗'}); ` +
      `median ${f.recall.recalledMedian} lines recalled`,
    ...f.extraction.map(
      (e) =>
        `  extraction per reply with ${String(e.existing).padStart(5)} memories already: ` +
        `${e.promptTokens.toFixed(0)} prompt + ${e.completionTokens.toFixed(0)} completion tokens upstream (fake upstream's usage, ${e.replies} replies)`,
    ),
  ];
}
