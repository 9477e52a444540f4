import { countTokens as o200kCount } from 'gpt-tokenizer/encoding/o200k_base';

/**
 * Token counts for holds and history trimming. Models tokenise differently, but any real BPE,
 * padded, is a fair upper bound; characters ÷ 3 is not (it undercounts CJK and emoji 2–3×).
 * The padding covers tokenizers that split more finely than o200k (Claude's, Llama's).
 */
export const TOKEN_MARGIN = 1.3;
export const MESSAGE_OVERHEAD_TOKENS = 4;

/**
 * Every message of a conversation's branch is counted again for each new reply, before its first
 * byte (25 turns of a few KB: 3–5 ms of the event loop a message, growing with the conversation),
 * so long texts' counts are remembered, least recently used first out, up to this many characters.
 */
const MEMO_MIN_CHARS = 256;
const MEMO_MAX_CHARS = 4_000_000;
const memo = new Map<string, number>();
let memoChars = 0;

function o200k(text: string): number {
  if (text.length < MEMO_MIN_CHARS) return o200kCount(text);
  const known = memo.get(text);
  if (known !== undefined) {
    memo.delete(text);
    memo.set(text, known);
    return known;
  }
  const n = o200kCount(text);
  memo.set(text, n);
  memoChars += text.length;
  for (const old of memo.keys()) {
    if (memoChars <= MEMO_MAX_CHARS) break;
    memo.delete(old);
    memoChars -= old.length;
  }
  return n;
}

export const countTokens = (text: string): number =>
  text.length === 0 ? 0 : Math.ceil(o200k(text) * TOKEN_MARGIN);

export const countMessageTokens = (text: string): number => countTokens(text) + MESSAGE_OVERHEAD_TOKENS;
