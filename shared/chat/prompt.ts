import { AppError } from '../errors';
import type { UpstreamContentPart, UpstreamMessage } from '../llm/upstream';
import { countMessageTokens } from './tokens';

/** An image a user message carries: a `data:` URL and what it costs in prompt tokens. */
export interface PromptImage {
  url: string;
  tokens: number;
}

export interface PromptInput {
  system: string;
  /** Earlier turns, oldest first; a user turn's images are re-sent with it while they fit. */
  history: { role: 'user' | 'assistant'; content: string; images?: PromptImage[] }[];
  message: string;
  /** The new message's images: always sent (they are what the question is about). */
  messageImages?: PromptImage[];
  contextLength: number;
  /** Tokens kept free for the reply. */
  maxTokens: number;
}

export interface Prompt {
  messages: UpstreamMessage[];
  promptTokens: number;
  droppedTurns: number;
  /** Images of kept earlier turns that were sent as text alone, for room (the oldest go first). */
  droppedImages: number;
}

const imageCost = (images: PromptImage[] | undefined) => (images ?? []).reduce((n, i) => n + i.tokens, 0);

const userContent = (text: string, images: PromptImage[] | undefined): string | UpstreamContentPart[] =>
  images?.length
    ? [
        { type: 'text', text },
        ...images.map((i): UpstreamContentPart => ({ type: 'image_url', image_url: { url: i.url } })),
      ]
    : text;

/**
 * System prompt + as much recent history as fits the context window + the new message.
 * History goes oldest first and whole messages only: a half message misleads more than none.
 * Images of earlier turns go before their text does: from the first turn whose images do not
 * fit, that turn and every older one are sent as text alone.
 */
export function buildPrompt(input: PromptInput): Prompt {
  const fixed =
    countMessageTokens(input.system) + countMessageTokens(input.message) + imageCost(input.messageImages);
  let budget = input.contextLength - input.maxTokens - fixed;
  if (budget < 0) {
    throw new AppError(
      'invalid_request',
      `The message is too long for this model's context window of ${input.contextLength} tokens ` +
        `with ${input.maxTokens} kept for the reply. Shorten it, ask for a shorter reply, or pick a model with a larger context.`,
    );
  }
  let kept = 0;
  let imagesFit = true;
  let droppedImages = 0;
  const used: UpstreamMessage[] = [];
  for (let i = input.history.length - 1; i >= 0; i--) {
    const turn = input.history[i]!;
    const text = countMessageTokens(turn.content);
    const images = turn.role === 'user' ? (turn.images ?? []) : [];
    if (imagesFit && images.length && text + imageCost(images) > budget) imagesFit = false;
    const sent = imagesFit ? images : [];
    droppedImages += images.length - sent.length;
    const cost = text + imageCost(sent);
    if (cost > budget) break;
    budget -= cost;
    kept += cost;
    used.push(
      turn.role === 'user'
        ? { role: 'user', content: userContent(turn.content, sent) }
        : { role: 'assistant', content: turn.content },
    );
  }
  used.reverse();
  return {
    messages: [
      { role: 'system', content: input.system },
      ...used,
      { role: 'user', content: userContent(input.message, input.messageImages) },
    ],
    promptTokens: fixed + kept,
    droppedTurns: input.history.length - used.length,
    droppedImages,
  };
}
