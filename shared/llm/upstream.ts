import OpenAI, { APIError, APIUserAbortError } from 'openai';
import { AppError } from '../errors';

export type UpstreamMessage =
  { role: 'system' | 'assistant'; content: string } | { role: 'user'; content: string };

export interface UpstreamRequest {
  model: string;
  messages: UpstreamMessage[];
  maxTokens: number;
}

export interface UpstreamUsage {
  promptTokens: number;
  completionTokens: number;
  /** OpenRouter's `usage.cost` in US$, when it sent one. */
  costUsd?: number;
}

export type UpstreamEvent =
  | { type: 'text'; text: string }
  | { type: 'reasoning'; text: string }
  | { type: 'usage'; usage: UpstreamUsage };

/** A reply that failed after it started; `code`/`message` are safe to show the user. */
export class UpstreamStreamError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The chat upstream: OpenRouter or any OpenAI-compatible server. */
export interface ChatUpstream {
  /**
   * Resolves once the upstream has answered with a status (so a 429/503 before the first byte
   * becomes an AppError here); the events follow. Aborting `signal` ends the events quietly.
   */
  stream(req: UpstreamRequest, signal: AbortSignal): Promise<AsyncIterable<UpstreamEvent>>;
  complete(req: UpstreamRequest): Promise<{ text: string; usage?: UpstreamUsage }>;
}

interface OpenRouterUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  cost?: number;
}

interface OpenRouterDelta {
  content?: string | null;
  reasoning?: string | null;
}

/** PostgreSQL text cannot hold U+0000; a model that emits one must not lose the whole reply. */
const storable = (text: string) => text.replaceAll('\u0000', '\uFFFD');

function toUsage(u: OpenRouterUsage | null | undefined): UpstreamUsage | undefined {
  if (!u || typeof u.prompt_tokens !== 'number' || typeof u.completion_tokens !== 'number') return undefined;
  return {
    promptTokens: u.prompt_tokens,
    completionTokens: u.completion_tokens,
    costUsd: typeof u.cost === 'number' && u.cost >= 0 ? u.cost : undefined,
  };
}

function retryAfter(headers: Headers | undefined): number | undefined {
  const v = headers?.get('retry-after');
  if (!v) return undefined;
  const secs = Number(v);
  if (Number.isFinite(secs)) return Math.max(0, Math.ceil(secs));
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** Maps a refusal before the first byte to our errors, keeping Retry-After. */
export function refusalToAppError(err: unknown): AppError {
  if (err instanceof APIError && typeof err.status === 'number') {
    const retryAfterSeconds = retryAfter(err.headers as Headers | undefined);
    if (err.status === 429) {
      return new AppError('rate_limited', 'The model is busy; try again shortly', { retryAfterSeconds });
    }
    // 402 is the operator's upstream account, not the user's credit: the service is what is unavailable.
    if (err.status === 402 || err.status >= 500) {
      return new AppError('unavailable', 'The model provider is unavailable right now; try again shortly', {
        retryAfterSeconds: retryAfterSeconds ?? 5,
      });
    }
    return new AppError('upstream_error', `The model provider refused the request: ${err.message}`);
  }
  return new AppError('unavailable', 'The model provider could not be reached', { retryAfterSeconds: 5 });
}

function midStreamError(err: unknown): UpstreamStreamError {
  if (err instanceof APIError) {
    const body = err.error as { message?: unknown } | undefined;
    const message = typeof body?.message === 'string' ? body.message : err.message;
    return new UpstreamStreamError('upstream_error', `The model provider failed mid-reply: ${message}`);
  }
  return new UpstreamStreamError('upstream_error', 'The connection to the model provider broke mid-reply');
}

export function openAiUpstream(opts: { baseURL: string; apiKey?: string; appUrl: string }): ChatUpstream {
  const client = new OpenAI({
    baseURL: opts.baseURL,
    apiKey: opts.apiKey ?? 'no-key',
    // A retried 429 would hide Retry-After from the user and delay the first byte.
    maxRetries: 0,
    timeout: 60_000,
    defaultHeaders: { 'HTTP-Referer': opts.appUrl, 'X-Title': 'GloriaMundo' },
  });

  // OpenRouter-specific fields ride along; other OpenAI-compatible servers ignore them.
  const extra = { usage: { include: true } };

  return {
    async stream(req, signal) {
      let stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>;
      try {
        stream = await client.chat.completions.create(
          {
            model: req.model,
            messages: req.messages,
            max_tokens: req.maxTokens,
            stream: true,
            stream_options: { include_usage: true },
            ...extra,
          },
          { signal },
        );
      } catch (err) {
        throw refusalToAppError(err);
      }
      return (async function* () {
        try {
          for await (const chunk of stream) {
            const delta: OpenRouterDelta | undefined = chunk.choices[0]?.delta;
            if (delta?.reasoning) yield { type: 'reasoning', text: storable(delta.reasoning) };
            if (delta?.content) yield { type: 'text', text: storable(delta.content) };
            const usage = toUsage(chunk.usage);
            if (usage) yield { type: 'usage', usage };
          }
        } catch (err) {
          if (err instanceof APIUserAbortError || signal.aborted) return;
          throw midStreamError(err);
        }
      })();
    },

    async complete(req) {
      try {
        const res = await client.chat.completions.create({
          model: req.model,
          messages: req.messages,
          max_tokens: req.maxTokens,
          ...extra,
        });
        return {
          text: storable(res.choices[0]?.message.content ?? ''),
          usage: toUsage(res.usage),
        };
      } catch (err) {
        throw refusalToAppError(err);
      }
    },
  };
}
