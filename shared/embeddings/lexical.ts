import type { Embedder } from './embedder';

/**
 * An embedder that needs no model and no network: feature hashing of words and of their
 * character 3-grams into a fixed number of signed buckets, L2-normalised. It finds shared
 * words and shared word parts (plurals, compounds, typos), not meaning; it is the offline
 * default because no npm package ships embedding weights, and keyword search runs beside it.
 */
export function localLexicalEmbedder(opts: { dimensions?: number } = {}): Embedder {
  const dimensions = opts.dimensions ?? 384;
  if (!Number.isInteger(dimensions) || dimensions < 16)
    throw new RangeError('dimensions must be an integer ≥ 16');
  return {
    name: 'local-lexical',
    // The recipe is part of the name: changing it must not compare new vectors with old ones.
    model: `lexical-hash-v1-${dimensions}`,
    dimensions,
    maxBatch: 2048,
    embed: async (texts) => texts.map((t) => lexicalVector(t, dimensions)),
  };
}

const WORD_WEIGHT = 1;
// Trigrams let "embedding" meet "embeddings"; weighted low so whole words still lead.
const TRIGRAM_WEIGHT = 0.3;

export function lexicalVector(text: string, dimensions: number): number[] {
  const counts = new Map<string, { n: number; weight: number }>();
  const add = (feature: string, weight: number) => {
    const c = counts.get(feature);
    if (c) c.n++;
    else counts.set(feature, { n: 1, weight });
  };
  const words =
    text
      .normalize('NFKC')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  const content = words.filter((w) => !STOPWORDS.has(w));
  // A text of stopwords only ("what is it") still gets a vector from them.
  for (const w of content.length > 0 ? content : words) {
    add(`w:${w}`, WORD_WEIGHT);
    const padded = `^${w}$`;
    const chars = [...padded];
    for (let i = 0; i + 3 <= chars.length; i++)
      add(`g:${chars[i]}${chars[i + 1]}${chars[i + 2]}`, TRIGRAM_WEIGHT);
  }
  const v = new Array<number>(dimensions).fill(0);
  for (const [feature, { n, weight }] of counts) {
    const h = fnv1a(feature);
    // Sublinear term frequency: a word said ten times is not ten times as telling.
    const value = (1 + Math.log(n)) * weight;
    // The sign comes from other bits than the bucket, so collisions cancel out on average.
    v[mix(h) % dimensions]! += h & 0x80000000 ? -value : value;
  }
  let norm = 0;
  for (const x of v) norm += x * x;
  if (norm === 0) return v;
  const scale = 1 / Math.sqrt(norm);
  return v.map((x) => x * scale);
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** murmur3's finaliser: spreads FNV's low bits, which alone cluster for short keys. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

// English function words; they make unrelated texts look alike. Other languages keep theirs.
const STOPWORDS = new Set(
  (
    'a an and are as at be been but by can did do does for from had has have he her his how i if in into is it its ' +
    'me my no not of on or our she so than that the their them then there these they this to was we were what when ' +
    'where which who why will with would you your'
  ).split(' '),
);
