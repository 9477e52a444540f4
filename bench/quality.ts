/**
 * Retrieval quality on the labelled set (bench/labelled.ts): the five documents go through the
 * real ingestion steps (PDF, unpdf, chunker, local lexical embedder, pgvector on PGlite), then
 * each question is asked. Keyword-only and vector-only are the store's two rankings before
 * fusion, read from one deep hybrid search (every chunk's keywordRank and vectorRank); hybrid is
 * the top 8 the app asks for; "chat" is what documentRetrieval hands the prompt (the relevance
 * floor and the token budget applied, long chunks cut to their part about the question), with
 * the floor alone and the budget on whole chunks beside it to show which step loses answers.
 *
 * The fusion and passage choices were made looking at this set, so it can flatter them: the
 * halves (alternate questions) are printed apart, and nothing was tuned to a number (equal
 * weights in the fusion; a passage size of a few hundred tokens, 250–350 all gave the same).
 *
 * A question counts as found when one of its top-8 passages holds the answering sentence of
 * the right page. Chunks are ~600 tokens and pages ~300 words, so a chunk often starts on the
 * page before: "cites the page" (the citation's page is the answer's) is given too.
 */
import { documentRetrieval } from '../shared/documents/retrieval';
import type { SearchHit } from '../shared/vectors/store';
import { inProcessDocuments } from './inprocess';
import { labelledDocuments, pageFrequencies, questionKind, type QuestionKind } from './labelled';
import { pdfOf } from './pdf';

export const TOP_K = 8;
/**
 * keyword, vector: each ranking alone; hybrid: the fused top 8; floor: those above the
 * relevance floor; whole: floor and token budget with chunks whole (as before passages were
 * cut to their part about the question); chat: what the prompt gets.
 */
const MODES = ['keyword', 'vector', 'hybrid', 'floor', 'whole', 'chat'] as const;
type Mode = (typeof MODES)[number];

export interface QualityFigures {
  documents: number;
  pages: number;
  chunks: number;
  questions: number;
  kinds: Record<QuestionKind, number>;
  vectorSearch: boolean;
  /** recall@8: a top-8 passage holds the right page's answer. */
  recallAt8: Record<Mode, number>;
  /** recall@8 where the passage also cites the answer's page. */
  citedPageAt8: Record<Mode, number>;
  /** recall@8 on each half of the questions (alternate ones), to see what holds on both. */
  halves: [Record<Mode, number>, Record<Mode, number>];
  byKind: Record<QuestionKind, Record<Mode, number>>;
  /** Answers that no chunk holds whole (should be 0: else the set measures the chunker). */
  unreachable: number;
  perQuestion: { document: string; page: number; question: string; kind: QuestionKind; found: Mode[] }[];
}

const flat = (s: string) => s.replace(/\s+/g, ' ').trim().toLowerCase();

export async function benchQuality(): Promise<QualityFigures> {
  const docs = labelledDocuments();
  const df = pageFrequencies(docs);
  const local = await inProcessDocuments();
  try {
    const user = await local.user('bench-quality');
    const ids: string[] = [];
    let chunks = 0;
    for (const d of docs) {
      const { documentId, timings } = await local.ingest(user, d.name, await pdfOf(d.pages));
      ids.push(documentId);
      chunks += timings.chunks;
    }
    const empty = (): Record<Mode, boolean[]> => ({
      keyword: [],
      vector: [],
      hybrid: [],
      floor: [],
      whole: [],
      chat: [],
    });
    const found = empty();
    const cited = empty();
    const base = { db: local.db, embedder: local.embedder, vectors: local.vectors };
    const floorOnly = documentRetrieval({ ...base, options: { budgetTokens: 1e9, passageTokens: 1e9 } });
    const wholeChunks = documentRetrieval({ ...base, options: { passageTokens: 1e9 } });
    const kinds: QuestionKind[] = [];
    const perQuestion: QualityFigures['perQuestion'] = [];
    let unreachable = 0;
    for (const [d, doc] of docs.entries()) {
      for (const [page, q] of doc.questions) {
        kinds.push(questionKind(q, df));
        const [embedding] = await local.embedder.embed([q.question]);
        const ask = (limit: number) =>
          local.vectors.search({
            userId: user,
            embedding: embedding!,
            text: q.question,
            model: local.embedder.model,
            limit,
          });
        const deep = await ask(10_000);
        const sets: Record<Mode, { documentId: string; page: number | null; text: string }[]> = {
          keyword: deep.filter((h: SearchHit) => h.keywordRank !== null && h.keywordRank <= TOP_K),
          vector: deep.filter((h: SearchHit) => h.vectorRank !== null && h.vectorRank <= TOP_K),
          hybrid: await ask(TOP_K),
          floor: await floorOnly(user, { text: q.question }),
          whole: await wholeChunks(user, { text: q.question }),
          chat: await local.retrieve(user, { text: q.question }),
        };
        const answer = flat(q.answer);
        const holds = (h: { documentId: string; text: string }) =>
          h.documentId === ids[d] && flat(h.text).includes(answer);
        if (!deep.some(holds)) {
          // The deep search returns only chunks one of the rankings found; look at all of them.
          const all = await local.db.many<{ text: string }>(
            `SELECT text FROM document_chunks WHERE user_id = $1 AND document_id = $2`,
            [user, ids[d]],
          );
          if (!all.some((c) => flat(c.text).includes(answer))) unreachable++;
        }
        for (const m of MODES) {
          found[m].push(sets[m].some(holds));
          cited[m].push(sets[m].some((h) => holds(h) && h.page === page));
        }
        perQuestion.push({
          document: doc.name,
          page,
          question: q.question,
          kind: kinds.at(-1)!,
          found: MODES.filter((m) => found[m].at(-1)),
        });
      }
    }
    const rate = (xs: boolean[]) => xs.filter(Boolean).length / Math.max(1, xs.length);
    const per = (pickFrom: Record<Mode, boolean[]>) =>
      Object.fromEntries(MODES.map((m) => [m, rate(pickFrom[m])])) as Record<Mode, number>;
    const kindList: QuestionKind[] = ['rare', 'common', 'none'];
    const byKind = Object.fromEntries(
      kindList.map((k) => [
        k,
        Object.fromEntries(MODES.map((m) => [m, rate(found[m].filter((_, i) => kinds[i] === k))])),
      ]),
    ) as Record<QuestionKind, Record<Mode, number>>;
    return {
      documents: docs.length,
      pages: docs.reduce((n, d) => n + d.pages.length, 0),
      chunks,
      questions: kinds.length,
      kinds: Object.fromEntries(kindList.map((k) => [k, kinds.filter((x) => x === k).length])) as Record<
        QuestionKind,
        number
      >,
      vectorSearch: await local.hasVectorSearch(),
      recallAt8: per(found),
      citedPageAt8: per(cited),
      halves: [0, 1].map((half) =>
        Object.fromEntries(MODES.map((m) => [m, rate(found[m].filter((_, i) => i % 2 === half))])),
      ) as QualityFigures['halves'],
      byKind,
      unreachable,
      perQuestion,
    };
  } finally {
    await local.close();
  }
}

export function qualityLines(f: QualityFigures): string[] {
  const pct = (x: number) => `${(100 * x).toFixed(0)} %`.padStart(5);
  const lines = [
    `Retrieval quality: ${f.questions} questions over ${f.documents} documents (${f.pages} pages, ${f.chunks} chunks), ` +
      `real chunker + local lexical embedder + pgvector on PGlite${f.vectorSearch ? '' : ' (NO vector column: keyword only)'}; ` +
      `questions sharing a rare word with the answer: ${f.kinds.rare}, only common words: ${f.kinds.common}, no word: ${f.kinds.none}`,
    `  recall@${TOP_K} (a passage holds the right page's answer): keyword-only ${pct(f.recallAt8.keyword)} · ` +
      `vector-only ${pct(f.recallAt8.vector)} · hybrid ${pct(f.recallAt8.hybrid)} · after the relevance floor ${pct(f.recallAt8.floor)} · ` +
      `floor + token budget with whole chunks ${pct(f.recallAt8.whole)} · as chat uses it (passages cut to their part about the question) ${pct(f.recallAt8.chat)}`,
    `  … and the passage cites that page:                 keyword-only ${pct(f.citedPageAt8.keyword)} · ` +
      `vector-only ${pct(f.citedPageAt8.vector)} · hybrid ${pct(f.citedPageAt8.hybrid)} · as chat uses it ${pct(f.citedPageAt8.chat)}`,
    ...f.halves.map(
      (h, i) =>
        `  half ${'AB'[i]} (alternate questions): keyword ${pct(h.keyword)} · vector ${pct(h.vector)} · hybrid ${pct(h.hybrid)} · ` +
        `floor ${pct(h.floor)} · chat ${pct(h.chat)}`,
    ),
  ];
  for (const k of ['rare', 'common', 'none'] as const) {
    const b = f.byKind[k];
    lines.push(
      `  by question: ${k.padEnd(6)} (${String(f.kinds[k]).padStart(2)}) keyword ${pct(b.keyword)} · vector ${pct(b.vector)} · ` +
        `hybrid ${pct(b.hybrid)} · chat ${pct(b.chat)}`,
    );
  }
  if (process.env.BENCH_VERBOSE) {
    for (const q of f.perQuestion) {
      lines.push(`    ${q.kind.padEnd(6)} p${q.page} ${q.question} → ${q.found.join(', ') || 'not found'}`);
    }
  }
  if (f.unreachable > 0)
    lines.push(`  ! ${f.unreachable} answers are in no chunk whole: the set needs fixing`);
  return lines;
}
