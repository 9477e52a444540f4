import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';

export interface ChunkOptions {
  /** A chunk closes near this size, at the best boundary around it. */
  targetTokens: number;
  /** No chunk is larger, overlap included. */
  maxTokens: number;
  /** Each chunk after the first begins with about this much of the end of the one before. */
  overlapTokens: number;
}

export interface Chunk {
  index: number;
  /** The page its new text starts on (the overlap repeats the chunk before, which cites its own page). */
  page: number | null;
  text: string;
  /** o200k tokens of `text`, exact. */
  tokens: number;
}

export const defaultChunking: ChunkOptions = { targetTokens: 600, maxTokens: 800, overlapTokens: 80 };

/** How good a place to end a chunk the end of a unit is. */
const enum Boundary {
  Word = 0,
  Line = 1,
  Sentence = 2,
  Paragraph = 3,
}

interface Unit {
  page: number | null;
  text: string;
  tokens: number;
  /** What joins it to the unit before. */
  sep: '' | ' ' | '\n' | '\n\n';
  end: Boundary;
}

/**
 * Cuts extracted pages into chunks for embedding: token-aware (o200k), ending at paragraph,
 * then sentence, then line boundaries near the target size, never inside a word (a run
 * without spaces longer than a chunk, such as a long URL, is the one thing cut), and each
 * chunk after the first repeats the last words of the one before, so that a passage cut in
 * two is still found whole by one of them.
 */
export function chunkPages(
  pages: { page: number | null; text: string }[],
  opts: ChunkOptions = defaultChunking,
): Chunk[] {
  const { targetTokens, maxTokens, overlapTokens } = opts;
  if (!(
    targetTokens > 0 &&
    targetTokens <= maxTokens &&
    overlapTokens >= 0 &&
    overlapTokens < targetTokens
  )) {
    throw new RangeError(
      'chunkPages needs 0 < targetTokens ≤ maxTokens and 0 ≤ overlapTokens < targetTokens',
    );
  }
  // Room for separators: a unit's count alone can differ by one from its count in context.
  const unitLimit = Math.max(1, maxTokens - overlapTokens - 8);
  const units = toUnits(pages, unitLimit);
  const chunks: Chunk[] = [];
  let i = 0;
  let overlap = '';
  while (i < units.length) {
    const overlapCost = overlap ? countTokens(overlap) + 1 : 0;
    const budget = maxTokens - overlapCost;
    const target = Math.max(1, targetTokens - overlapCost);
    const j = cutAfter(units, i, budget, target);
    const withOverlap = (body: string) =>
      overlap ? `${overlap}${units[i]!.sep === '\n\n' ? '\n\n' : ' '}${body}` : body;
    let body = joinUnits(units, i, j);
    let text = withOverlap(body);
    let tokens = countTokens(text);
    let end = j;
    // Estimates add up unit counts; the exact count of the joined text decides.
    while (tokens > maxTokens && end > i) {
      end--;
      body = joinUnits(units, i, end);
      text = withOverlap(body);
      tokens = countTokens(text);
    }
    if (tokens > maxTokens) {
      // Only possible when the overlap and one unit together are too large: drop the overlap.
      text = body;
      tokens = countTokens(text);
    }
    chunks.push({ index: chunks.length, page: units[i]!.page, text, tokens });
    i = end + 1;
    overlap = i < units.length && overlapTokens > 0 ? tail(text, overlapTokens) : '';
  }
  return chunks;
}

/** The last unit of the chunk that starts at `from`: the best boundary between 60 % of target and the budget. */
function cutAfter(units: Unit[], from: number, budget: number, target: number): number {
  // What is left fits: one chunk, rather than a full one and a scrap.
  let rest = 0;
  for (let j = from; j < units.length && rest <= budget; j++) rest += units[j]!.tokens + (j > from ? 1 : 0);
  if (rest <= budget) return units.length - 1;
  let total = 0;
  let best = from;
  let bestScore = -Infinity;
  for (let j = from; j < units.length; j++) {
    const u = units[j]!;
    total += u.tokens + (j > from ? 1 : 0);
    if (total > budget && j > from) break;
    if (total < target * 0.6) {
      best = j;
      continue;
    }
    // A better boundary beats closeness to the target; closeness breaks ties.
    const score = u.end * 10_000 - Math.abs(total - target);
    if (score > bestScore) {
      bestScore = score;
      best = j;
    }
    if (total >= target && u.end >= Boundary.Sentence) break;
  }
  return best;
}

function joinUnits(units: Unit[], from: number, to: number): string {
  let s = units[from]!.text;
  for (let k = from + 1; k <= to; k++) s += units[k]!.sep + units[k]!.text;
  return s;
}

/** The longest end of `text` within `maxTokens` that starts at a word. */
function tail(text: string, maxTokens: number): string {
  const starts = [...text.matchAll(/(?:^|\s)(?=\S)/g)].map((m) => m.index + (m[0].length > 0 ? 1 : 0));
  let best = '';
  for (let k = starts.length - 1; k > 0; k--) {
    const candidate = text.slice(starts[k]).replace(/\s+/g, ' ').trim();
    if (countTokens(candidate) > maxTokens) break;
    best = candidate;
  }
  return best;
}

const sentences = new Intl.Segmenter(undefined, { granularity: 'sentence' });
const words = new Intl.Segmenter(undefined, { granularity: 'word' });
const SENTENCE_END = /[.!?。！？…:;]["'”’)\]]*$/;

function toUnits(pages: { page: number | null; text: string }[], unitLimit: number): Unit[] {
  const units: Unit[] = [];
  for (const { page, text } of pages) {
    const paragraphs = text
      .replace(/\r\n?/g, '\n')
      .split(/\n[ \t]*\n/)
      .map((p) => p.trim())
      .filter(Boolean);
    paragraphs.forEach((paragraph) => {
      const segments = [...sentences.segment(paragraph)].map((s) => s.segment);
      segments.forEach((segment, k) => {
        const trimmed = segment.trim();
        if (!trimmed) return;
        const lastOfParagraph = k === segments.length - 1;
        const end = lastOfParagraph
          ? Boundary.Paragraph
          : SENTENCE_END.test(trimmed)
            ? Boundary.Sentence
            : /\n\s*$/.test(segment)
              ? Boundary.Line
              : Boundary.Word;
        const previous = units[units.length - 1];
        const sep: Unit['sep'] =
          previous === undefined
            ? ''
            : previous.end === Boundary.Paragraph
              ? '\n\n'
              : previous.end === Boundary.Line || /\n\s*$/.test(segments[k - 1] ?? '')
                ? '\n'
                : ' ';
        // Pieces of one split sentence join with spaces and end at words, except the last.
        const pieces = splitOversized(trimmed, unitLimit);
        pieces.forEach((piece, n) => {
          units.push({
            page,
            text: piece.text,
            tokens: piece.tokens,
            sep: units.length === 0 ? '' : n === 0 ? sep : ' ',
            end: n === pieces.length - 1 ? end : Boundary.Word,
          });
        });
      });
    });
  }
  return units;
}

interface Piece {
  text: string;
  tokens: number;
}

/** A sentence too large for one chunk, as word-aligned pieces that each fit. */
function splitOversized(text: string, limit: number): Piece[] {
  const tokens = countTokens(text);
  if (tokens <= limit) return [{ text, tokens }];
  const pieces: Piece[] = [];
  // Word counts are summed rather than recounting the growing piece (quadratic on a long
  // sentence); the sum is an upper bound in practice, and the chunker checks exact counts.
  let current = '';
  let currentTokens = 0;
  const flush = () => {
    const t = current.trim();
    if (t) pieces.push({ text: t, tokens: countTokens(t) });
    current = '';
    currentTokens = 0;
  };
  for (const { segment } of words.segment(text)) {
    const n = countTokens(segment);
    if (currentTokens + n <= limit) {
      current += segment;
      currentTokens += n;
      continue;
    }
    flush();
    if (n <= limit) {
      current = segment;
      currentTokens = n;
      continue;
    }
    for (const part of splitRun(segment, limit)) {
      current = part;
      flush();
    }
  }
  flush();
  return pieces;
}

/** A run with no word boundary inside (a long URL, base64): cut where the token limit falls. */
function splitRun(run: string, limit: number): string[] {
  const chars = [...run];
  const parts: string[] = [];
  let start = 0;
  while (start < chars.length) {
    let lo = start + 1;
    let hi = chars.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (countTokens(chars.slice(start, mid).join('')) <= limit) lo = mid;
      else hi = mid - 1;
    }
    parts.push(chars.slice(start, lo).join(''));
    start = lo;
  }
  return parts;
}
