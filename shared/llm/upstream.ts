import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { Agent, request, type Dispatcher } from 'undici';
import { AppError } from '../errors';
import { serverSentEvents } from './sse';

/** A piece of a user message: text, or an image as a URL (ours are always `data:` URLs). */
export type UpstreamContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: 'auto' | 'low' | 'high' } };

export type UpstreamMessage =
  | { role: 'system' | 'assistant'; content: string }
  | { role: 'user'; content: string | UpstreamContentPart[] };

export interface UpstreamRequest {
  model: string;
  messages: UpstreamMessage[];
  maxTokens: number;
  temperature?: number;
  topP?: number;
  /** Sequences that end the reply (the OpenAI-compatible API passes them through). */
  stop?: string[];
  /** Structured output: a JSON schema the answer must follow, or JSON mode for models without it. */
  responseFormat?:
    | { type: 'json_schema'; json_schema: { name: string; strict: boolean; schema: Record<string, unknown> } }
    | { type: 'json_object' };
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
  | { type: 'usage'; usage: UpstreamUsage }
  /** The model's own reason for ending: `stop`, `length` (it hit max_tokens), … */
  | { type: 'finish'; reason: string };

/** A reply that failed after it started; the message is safe to show the user. */
export class UpstreamStreamError extends AppError {
  constructor(message: string) {
    super('upstream_failed', message);
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

/** Undici's header record as the SDK's errors take headers (a repeated header is joined, as fetch does). */
function webHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.append(name, v);
  }
  return out;
}

/** Maps a refusal before the first byte to our errors, keeping Retry-After. */
export function refusalToAppError(err: unknown): AppError {
  if (err instanceof APIError && typeof err.status === 'number') {
    const retryAfterSeconds = retryAfter(err.headers as Headers | undefined);
    // The provider's rate limit is not the user's: it is the model that is busy.
    if (err.status === 429) {
      const wait = retryAfterSeconds ?? 5;
      return new AppError('unavailable', `The model is busy. Try again in ${wait} s.`, {
        retryAfterSeconds: wait,
      });
    }
    // 402 is the operator's upstream account, not the user's credit: the service is what is unavailable.
    if (err.status === 402 || err.status >= 500) {
      const wait = retryAfterSeconds ?? 5;
      return new AppError(
        'unavailable',
        `The model provider is unavailable right now. Try again in ${wait} s, or pick another model.`,
        { retryAfterSeconds: wait },
      );
    }
    return new AppError(
      'upstream_failed',
      `The model provider refused the request (${sentence(err.message)}). Try another model or a shorter message.`,
    );
  }
  if (err instanceof APIConnectionTimeoutError) {
    return new AppError(
      'upstream_timeout',
      'The model provider did not answer in time. Try again, or pick another model.',
      { retryAfterSeconds: 5 },
    );
  }
  return new AppError('unavailable', 'The model provider could not be reached. Try again in a few seconds.', {
    retryAfterSeconds: 5,
  });
}

/** Provider messages arrive as fragments ("400 model not found."); fit one inside our sentence. */
const sentence = (s: string) =>
  s
    .trim()
    .replace(/[.\s]+$/, '')
    .slice(0, 300);

function midStreamError(err: unknown): UpstreamStreamError {
  if (err instanceof APIError) {
    const body = err.error as { message?: unknown } | undefined;
    const message = typeof body?.message === 'string' ? body.message : err.message;
    return new UpstreamStreamError(
      `The model provider failed in the middle of the reply (${sentence(message)}). Retry to get a new reply.`,
    );
  }
  return new UpstreamStreamError(
    'The connection to the model provider broke in the middle of the reply. Retry to get a new reply.',
  );
}

export function openAiUpstream(opts: {
  baseURL: string;
  apiKey?: string;
  appUrl: string;
  /** How long to wait for the provider: a stream's head, or the whole of an unstreamed answer. */
  timeoutMs?: number;
}): ChatUpstream {
  // OpenRouter-specific fields ride along; other OpenAI-compatible servers ignore them.
  const extra = { usage: { include: true } };
  const endpoint = `${opts.baseURL.replace(/\/+$/, '')}/chat/completions`;
  const headers = {
    'content-type': 'application/json',
    authorization: `Bearer ${opts.apiKey ?? 'no-key'}`,
    'HTTP-Referer': opts.appUrl,
    'X-Title': 'GloriaMundo',
  };
  const answerTimeoutMs = opts.timeoutMs ?? 60_000;

  // Keep-alive connections to the provider, as the SDK's fetch keeps them. Undici's own timeouts
  // are off: each call sets ours below, and a quiet stream is ended by the live replies.
  const dispatcher = new Agent({ headersTimeout: 0, bodyTimeout: 0 });

  const payload = (req: UpstreamRequest, stream: boolean) =>
    JSON.stringify({
      model: req.model,
      messages: req.messages,
      max_tokens: req.maxTokens,
      ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
      ...(req.topP !== undefined ? { top_p: req.topP } : {}),
      ...(req.stop?.length ? { stop: req.stop } : {}),
      ...(req.responseFormat ? { response_format: req.responseFormat } : {}),
      ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
      ...extra,
    });

  /**
   * The request as the SDK would send it, with undici's `request` rather than the SDK's `fetch`:
   * fetch hands the body over as a web stream, and its machinery per chunk was the largest share
   * of the app's own work at 100 streams (bench profile: 1.05 s of 6.8 s); for a whole answer
   * (titles, memory extraction: two a reply) the SDK's fetch path cost ~1.3 ms of the event loop
   * a call. A refusal (a status, a timeout, no connection) becomes the SDK's error, so both
   * calls report alike. `ended` says why `signal` fired: our timeout or the caller's stop.
   */
  async function exchange(
    body: string,
    accept: string,
    signal: AbortSignal,
    ended: () => 'timeout' | 'stopped' | undefined,
  ): Promise<Dispatcher.ResponseData> {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(endpoint, {
        method: 'POST',
        headers: { ...headers, accept },
        signal,
        dispatcher,
        body,
      });
    } catch (err) {
      const why = ended();
      throw why === 'timeout'
        ? new APIConnectionTimeoutError()
        : why === 'stopped'
          ? new APIUserAbortError()
          : new APIConnectionError({ cause: err instanceof Error ? err : undefined });
    }
    if (res.statusCode < 200 || res.statusCode > 299) {
      const text = await res.body.text().catch(() => '');
      let json: object | undefined;
      try {
        json = JSON.parse(text) as object;
      } catch {
        // Not JSON: the text is the message.
      }
      throw APIError.generate(res.statusCode, json, json ? undefined : text, webHeaders(res.headers));
    }
    return res;
  }

  /** The streamed answer's head; the timeout covers the wait for it, not the stream after it. */
  async function post(req: UpstreamRequest, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    const ac = new AbortController();
    const abort = () => ac.abort();
    signal.addEventListener('abort', abort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort();
    }, answerTimeoutMs);
    try {
      return await exchange(payload(req, true), 'text/event-stream', ac.signal, () =>
        timedOut ? 'timeout' : signal.aborted ? 'stopped' : undefined,
      );
    } catch (err) {
      signal.removeEventListener('abort', abort);
      throw refusalToAppError(err);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async stream(req, signal) {
      // Read with our own SSE reader, not the SDK's: this loop runs for every chunk of every
      // reply, and the SDK's reader was the largest share of the app's own work per chunk.
      const res = await post(req, signal);
      return (async function* () {
        let done = false;
        try {
          for await (const sse of serverSentEvents(res.body)) {
            // As the SDK reads them: nothing after [DONE], `thread.*` events are not chunks.
            if (done || sse.event?.startsWith('thread.')) continue;
            if (sse.data.startsWith('[DONE]')) {
              done = true;
              continue;
            }
            const chunk = JSON.parse(sse.data) as OpenAI.Chat.Completions.ChatCompletionChunk & {
              error?: unknown;
            };
            if (chunk.error) throw new APIError(undefined, chunk.error, undefined, webHeaders(res.headers));
            const delta: OpenRouterDelta | undefined = chunk.choices?.[0]?.delta;
            if (delta?.reasoning) yield { type: 'reasoning', text: storable(delta.reasoning) };
            if (delta?.content) yield { type: 'text', text: storable(delta.content) };
            const finish = chunk.choices?.[0]?.finish_reason;
            if (finish) yield { type: 'finish', reason: finish };
            const usage = toUsage(chunk.usage);
            if (usage) yield { type: 'usage', usage };
          }
        } catch (err) {
          if (signal.aborted) return;
          throw midStreamError(err);
        }
      })();
    },

    async complete(req) {
      // The timeout covers the whole answer, as the SDK's does.
      const ac = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        ac.abort();
      }, answerTimeoutMs);
      try {
        const res = await exchange(payload(req, false), 'application/json', ac.signal, () =>
          timedOut ? 'timeout' : undefined,
        );
        let answer: OpenAI.Chat.Completions.ChatCompletion;
        try {
          answer = (await res.body.json()) as OpenAI.Chat.Completions.ChatCompletion;
        } catch (err) {
          throw timedOut ? new APIConnectionTimeoutError() : err;
        }
        return {
          text: storable(answer.choices?.[0]?.message?.content ?? ''),
          usage: toUsage(answer.usage),
        };
      } catch (err) {
        throw refusalToAppError(err);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
