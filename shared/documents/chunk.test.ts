import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { chunkPages, defaultChunking, type Chunk } from './chunk';

const FILLER = [
  'river',
  'lantern',
  'copper',
  'meadow',
  'harbour',
  'orchard',
  'granite',
  'willow',
  'falcon',
  'ember',
];

/** Prose whose every sentence says where it is: `s<page>.<n>` opens it. */
function sentence(page: number, n: number): string {
  const words = Array.from(
    { length: 8 + ((page * 7 + n * 3) % 9) },
    (_, k) => FILLER[(page + n + k) % FILLER.length],
  );
  return `s${page}.${n} ${words.join(' ')}.`;
}

function book(pages: number, paragraphsPerPage: number, sentencesPerParagraph: number) {
  let n = 0;
  return Array.from({ length: pages }, (_, p) => ({
    page: p + 1,
    text: Array.from({ length: paragraphsPerPage }, () =>
      Array.from({ length: sentencesPerParagraph }, () => sentence(p + 1, n++)).join(' '),
    ).join('\n\n'),
  }));
}

const wordsOf = (s: string) => s.split(/\s+/).filter(Boolean);

describe('chunkPages', () => {
  it('returns nothing for no text, and one exact chunk for a little', () => {
    expect(chunkPages([])).toEqual([]);
    expect(
      chunkPages([
        { page: 1, text: '' },
        { page: 2, text: '  \n ' },
      ]),
    ).toEqual([]);
    expect(chunkPages([{ page: 2, text: 'Hello there. How are you?' }])).toEqual([
      {
        index: 0,
        page: 2,
        text: 'Hello there. How are you?',
        tokens: countTokens('Hello there. How are you?'),
      },
    ]);
  });

  describe('over a 40-page book', () => {
    const pages = book(40, 3, 6);
    const chunks = chunkPages(pages);
    const sourceWords = new Set(pages.flatMap((p) => wordsOf(p.text)));

    it('keeps every chunk within maxTokens, most near the target, with exact counts', () => {
      expect(chunks.length).toBeGreaterThan(10);
      for (const c of chunks) {
        expect(c.tokens).toBe(countTokens(c.text));
        expect(c.tokens).toBeLessThanOrEqual(defaultChunking.maxTokens);
      }
      const body = chunks.slice(0, -1);
      expect(body.every((c) => c.tokens >= defaultChunking.targetTokens * 0.6)).toBe(true);
      expect(chunks.map((c) => c.index)).toEqual(chunks.map((_, i) => i));
    });

    it('never cuts a word and ends chunks at sentence ends', () => {
      for (const c of chunks) {
        for (const w of wordsOf(c.text)) expect(sourceWords.has(w)).toBe(true);
        expect(c.text).toMatch(/\.$/);
      }
    });

    it('loses no sentence: each is whole in some chunk', () => {
      const all = pages.flatMap((p) => p.text.split(/(?<=\.)\s+/));
      for (const s of all) expect(chunks.some((c) => c.text.includes(s))).toBe(true);
    });

    it('repeats about overlapTokens of the chunk before, from a word start', () => {
      for (let i = 1; i < chunks.length; i++) {
        const prev = wordsOf(chunks[i - 1]!.text);
        const next = wordsOf(chunks[i]!.text);
        const shared = Array.from({ length: Math.min(prev.length, 200) }, (_, n) => n + 1).filter(
          (n) => prev.slice(-n).join(' ') === next.slice(0, n).join(' '),
        );
        expect(shared.length).toBeGreaterThan(0);
        const overlap = prev.slice(-Math.max(...shared)).join(' ');
        expect(countTokens(overlap)).toBeLessThanOrEqual(defaultChunking.overlapTokens);
        expect(countTokens(overlap)).toBeGreaterThan(defaultChunking.overlapTokens / 2);
      }
    });

    it('gives each chunk the page its new text starts on', () => {
      for (let i = 0; i < chunks.length; i++) {
        const c = chunks[i]!;
        // The first sentence marker after the overlap is the one the chunk's own text opens with.
        const prev = i > 0 ? chunks[i - 1]!.text : '';
        const markers = [...c.text.matchAll(/s(\d+)\.(\d+) /g)];
        const fresh = markers.find((m) => !prev.includes(`${m[0]}`)) ?? markers[0]!;
        expect(c.page).toBe(Number(fresh[1]));
      }
      expect(chunks[0]!.page).toBe(1);
      expect(new Set(chunks.map((c) => c.page)).size).toBeGreaterThan(10);
    });
  });

  it('prefers to end at a paragraph over a sentence near the target', () => {
    // Paragraphs of ~200 tokens: a cut at 3 paragraphs (~600) is at a paragraph end.
    const text = Array.from({ length: 12 }, (_, p) =>
      Array.from({ length: 9 }, (_, n) => sentence(p + 1, n)).join(' '),
    ).join('\n\n');
    const paragraphEnds = text.split('\n\n').map((p) => p.slice(p.lastIndexOf(' s') + 1));
    const chunks = chunkPages([{ page: null, text }]);
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks.slice(0, -1)) {
      expect(paragraphEnds.some((end) => c.text.endsWith(end))).toBe(true);
    }
  });

  it('cuts a sentence longer than a chunk between words, and a run without spaces where it must', () => {
    const long = Array.from({ length: 1500 }, (_, i) => `${FILLER[i % FILLER.length]}${i}`).join(' ');
    const chunks = chunkPages([{ page: 1, text: long }]);
    expect(chunks.length).toBeGreaterThan(1);
    const source = new Set(wordsOf(long));
    for (const c of chunks) {
      expect(c.tokens).toBeLessThanOrEqual(defaultChunking.maxTokens);
      for (const w of wordsOf(c.text)) expect(source.has(w)).toBe(true);
    }

    const run = 'QUJD'.repeat(3000); // 12,000 characters of base64, no boundary inside
    const runChunks = chunkPages([{ page: 1, text: `Before. ${run} After.` }]);
    for (const c of runChunks) expect(c.tokens).toBeLessThanOrEqual(defaultChunking.maxTokens);
    expect(runChunks.map((c) => c.text).join('')).toContain('QUJDQUJD');
  });

  it('chunks text without spaces (Chinese) within the limits, losing nothing', () => {
    const text = '这是一个关于河流和灯笼的句子。'.repeat(400);
    const chunks = chunkPages([{ page: 3, text }]);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) {
      expect(c.tokens).toBeLessThanOrEqual(defaultChunking.maxTokens);
      expect(c.page).toBe(3);
    }
    const firstNew = chunks[0]!.text;
    expect(firstNew.startsWith('这是')).toBe(true);
    const chars = chunks.reduce((n, c) => n + c.text.replace(/\s/g, '').length, 0);
    expect(chars).toBeGreaterThanOrEqual(text.length);
  });

  it('keeps CSV rows whole: rows are lines', () => {
    const rows = [
      'name,city,notes',
      ...Array.from({ length: 400 }, (_, i) => `person${i},town${i},likes ${FILLER[i % 10]}`),
    ];
    const chunks = chunkPages([{ page: null, text: rows.join('\n') }], {
      targetTokens: 200,
      maxTokens: 300,
      overlapTokens: 0,
    });
    const set = new Set(rows);
    for (const c of chunks) for (const line of c.text.split('\n')) expect(set.has(line)).toBe(true);
    expect(chunks.flatMap((c) => c.text.split('\n'))).toEqual(rows);
  });

  it('is deterministic and checks its options', () => {
    const pages = book(3, 2, 5);
    expect(chunkPages(pages)).toEqual(chunkPages(pages));
    expect(() => chunkPages(pages, { targetTokens: 900, maxTokens: 800, overlapTokens: 80 })).toThrow(
      RangeError,
    );
    expect(() => chunkPages(pages, { targetTokens: 100, maxTokens: 800, overlapTokens: 100 })).toThrow(
      RangeError,
    );
  });

  it('chunks a 500-page book in reasonable time', () => {
    const pages = book(500, 3, 6);
    const started = performance.now();
    const chunks: Chunk[] = chunkPages(pages);
    const ms = performance.now() - started;
    console.info(`chunk: 500 pages → ${chunks.length} chunks in ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(20_000);
  });
});
