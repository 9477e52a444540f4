import { countTokens as o200kCount } from 'gpt-tokenizer/encoding/o200k_base';

/**
 * Token counts for holds and history trimming. Models tokenise differently, but any real BPE,
 * padded, is a fair upper bound; characters ÷ 3 is not (it undercounts CJK and emoji 2–3×).
 * The padding covers tokenizers that split more finely than o200k (Claude's, Llama's).
 */
export const TOKEN_MARGIN = 1.3;
export const MESSAGE_OVERHEAD_TOKENS = 4;

export const countTokens = (text: string): number =>
  text.length === 0 ? 0 : Math.ceil(o200kCount(text) * TOKEN_MARGIN);

export const countMessageTokens = (text: string): number => countTokens(text) + MESSAGE_OVERHEAD_TOKENS;
