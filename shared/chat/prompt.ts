import { AppError } from '../errors';
import type { UpstreamMessage } from '../llm/upstream';
import { countMessageTokens } from './tokens';

export interface PromptInput {
  system: string;
  /** Earlier turns, oldest first. */
  history: { role: 'user' | 'assistant'; content: string }[];
  message: string;
  contextLength: number;
  /** Tokens kept free for the reply. */
  maxTokens: number;
}

export interface Prompt {
  messages: UpstreamMessage[];
  promptTokens: number;
  droppedTurns: number;
}

/**
 * System prompt + as much recent history as fits the context window + the new message.
 * History goes oldest first and whole messages only: a half message misleads more than none.
 */
export function buildPrompt(input: PromptInput): Prompt {
  const fixed = countMessageTokens(input.system) + countMessageTokens(input.message);
  let budget = input.contextLength - input.maxTokens - fixed;
  if (budget < 0) {
    throw new AppError(
      'invalid_request',
      `The message is too long for this model's context window of ${input.contextLength} tokens ` +
        `with ${input.maxTokens} kept for the reply. Shorten it, ask for a shorter reply, or pick a model with a larger context.`,
    );
  }
  let kept = 0;
  const used: UpstreamMessage[] = [];
  for (let i = input.history.length - 1; i >= 0; i--) {
    const turn = input.history[i]!;
    const cost = countMessageTokens(turn.content);
    if (cost > budget) break;
    budget -= cost;
    kept += cost;
    used.push({ role: turn.role, content: turn.content });
  }
  used.reverse();
  return {
    messages: [{ role: 'system', content: input.system }, ...used, { role: 'user', content: input.message }],
    promptTokens: fixed + kept,
    droppedTurns: input.history.length - used.length,
  };
}
