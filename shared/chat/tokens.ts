/**
 * A deliberately pessimistic token estimate (~3 characters a token, plus per-message framing).
 * Models tokenise differently; over-estimating only trims history a little early and
 * reserves a little more credit than needed, never less.
 */
export const estimateTokens = (text: string) => Math.ceil(text.length / 3);
export const MESSAGE_OVERHEAD_TOKENS = 4;
export const estimateMessageTokens = (text: string) => estimateTokens(text) + MESSAGE_OVERHEAD_TOKENS;
