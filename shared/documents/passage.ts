import { countTokens } from '../chat/tokens';

/** Words that say nothing about what a question is about. */
const FUNCTION_WORDS = new Set(
  (
    'a an and any are as at be been but by can could did do does for from get got had has have he her his how i if ' +
    'in into is it its me much many my no not of on or our she should so some than that the their them then there ' +
    'these they this those to too up was we were what when where which who whom why will with would you your'
  ).split(' '),
);

const CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/u;
const wordsOf = (text: string) =>
  text
    .normalize('NFKC')
    .toLowerCase()
    .match(/[\p{L}\p{N}]+/gu) ?? [];

/**
 * What a sentence must hold to be about the question: each content word's stem (its first
 * letters, so that "screens" meets "screen" and "cleaned" meets "cleaning"), or for CJK text,
 * where words are not spaced, each character.
 */
function questionTerms(question: string): { stems: string[]; chars: string[] } {
  const stems: string[] = [];
  const chars = new Set<string>();
  for (const w of wordsOf(question)) {
    if (FUNCTION_WORDS.has(w)) continue;
    if (CJK.test(w)) for (const ch of w) chars.add(ch);
    else stems.push(w.length > 5 ? w.slice(0, w.length - 2) : w);
  }
  return { stems: [...new Set(stems)], chars: [...chars] };
}

/** Sentences, with their trailing space, so that joining them gives the text back. */
const sentencesOf = (text: string) => text.match(/[^.!?。！？]+(?:[.!?。！？]+|$)\s*/gu) ?? [text];

/**
 * The part of a chunk that is about the question, when the chunk is longer than `maxTokens`:
 * the sentences holding most of its words, each with its neighbours, in their order, gaps
 * marked "…". A chunk where no sentence holds any of them (found by meaning alone) is kept
 * whole, since nothing says which part matters. Whole sentences only: a fact is never cut.
 *
 * Chunks are ~600 tokens; the prompt's passage budget would carry four of them whole, and the
 * labelled set's answers were often the fifth or sixth passage (bench/quality.ts).
 */
export function relevantPart(text: string, question: string, maxTokens: number): string {
  if (countTokens(text) <= maxTokens) return text;
  const { stems, chars } = questionTerms(question);
  const sentences = sentencesOf(text);
  const hits = sentences.map((s) => {
    const words = wordsOf(s);
    return (
      stems.filter((st) => words.some((w) => w.startsWith(st))).length +
      chars.filter((ch) => s.includes(ch)).length
    );
  });
  if (!hits.some((n) => n > 0)) return text;
  const order = hits
    .map((n, i) => ({ n, i }))
    .filter((x) => x.n > 0)
    .sort((a, b) => b.n - a.n || a.i - b.i);
  const keep = new Set<number>();
  let used = 0;
  for (const { i } of order) {
    for (const j of [i, i - 1, i + 1]) {
      if (j < 0 || j >= sentences.length || keep.has(j)) continue;
      const cost = countTokens(sentences[j]!);
      if (used + cost > maxTokens) continue;
      keep.add(j);
      used += cost;
    }
  }
  if (keep.size === 0) return text;
  const picked = [...keep].sort((a, b) => a - b);
  let out = picked[0]! > 0 ? '… ' : '';
  picked.forEach((j, k) => {
    if (k > 0 && j !== picked[k - 1]! + 1) out = `${out.trimEnd()} … `;
    out += sentences[j];
  });
  return picked.at(-1)! < sentences.length - 1 ? `${out.trimEnd()} …` : out.trimEnd();
}
