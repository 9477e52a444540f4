import type { ChatCompletionBody, CompletionMessage } from '../contracts/api-keys';
import type { StreamEvent } from '../contracts/chat-stream';
import type { ErrorCode } from '../contracts/errors';
import type { CompletionInput } from '../chat/service';
import type { UpstreamContentPart, UpstreamMessage } from '../llm/upstream';
import type { KeyPrincipal } from './service';

/**
 * The OpenAI-compatible API is a framing of the chat core: its request becomes the core's
 * input, the core's events become OpenAI's chunks or response, our error codes OpenAI's errors.
 */

const textOf = (content: string | { text: string }[] | null | undefined) =>
  typeof content === 'string' ? content : (content ?? []).map((p) => p.text).join('');

function toUpstream(m: CompletionMessage): UpstreamMessage {
  if (m.role === 'user') {
    if (typeof m.content === 'string') return { role: 'user', content: m.content };
    const parts: UpstreamContentPart[] = m.content.map((p) =>
      p.type === 'text'
        ? { type: 'text', text: p.text }
        : { type: 'image_url', image_url: { url: p.image_url.url, detail: p.image_url.detail } },
    );
    return { role: 'user', content: parts };
  }
  // `developer` is OpenAI's newer name for the system role; other providers know only `system`.
  return { role: m.role === 'assistant' ? 'assistant' : 'system', content: textOf(m.content) };
}

export function completionInput(body: ChatCompletionBody, key: KeyPrincipal): CompletionInput {
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  return {
    apiKey: { id: key.keyId, spendLimitCredits: key.spendLimitCredits },
    model: body.model,
    messages: body.messages.map(toUpstream),
    maxTokens,
    temperature: body.temperature ?? undefined,
    topP: body.top_p ?? undefined,
    stop: body.stop === null || body.stop === undefined ? undefined : [body.stop].flat(),
  };
}

export interface OpenAiError {
  status: number;
  body: { error: { message: string; type: string; code: string | null; param: null } };
}

/** Our error codes in OpenAI's shape, so the official SDKs raise the error class callers expect. */
export function openAiError(code: ErrorCode, status: number, message: string): OpenAiError {
  const [type, openAiCode] = ((): [string, string | null] => {
    switch (code) {
      case 'unauthenticated':
      case 'invalid_credentials':
        return ['invalid_request_error', 'invalid_api_key'];
      case 'insufficient_credits':
      case 'spend_cap_reached':
        return ['insufficient_quota', 'insufficient_quota'];
      case 'rate_limited':
        return ['requests', 'rate_limit_exceeded'];
      case 'not_found':
        return ['invalid_request_error', 'model_not_found'];
      case 'invalid_request':
      case 'too_large':
      case 'unsupported_type':
      case 'csrf_failed':
      case 'forbidden':
      case 'conflict':
      case 'invalid_signature':
        return ['invalid_request_error', null];
      default:
        return ['server_error', code];
    }
  })();
  return { status, body: { error: { message, type, code: openAiCode, param: null } } };
}

const REVOKED = openAiError(
  'unauthenticated',
  401,
  'The API key was revoked while this call ran; the call stopped. Use another key.',
);

const finishReason = (done: Extract<StreamEvent, { event: 'done' }>['data']) =>
  done.reason === 'length' || done.reason === 'balance' || done.reason === 'time_limit' ? 'length' : 'stop';

/** A stop during an API call can only be a revoked key (or a deleted account): nobody else can stop it. */
const revoked = (done: Extract<StreamEvent, { event: 'done' }>['data']) =>
  done.status === 'stopped' && done.reason === 'user';

const usageOf = (u: Extract<StreamEvent, { event: 'usage' }>['data']) => ({
  prompt_tokens: u.promptTokens,
  completion_tokens: u.completionTokens,
  total_tokens: u.promptTokens + u.completionTokens,
  /** Ours, beside OpenAI's fields: what the call cost in GloriaMundo credits. */
  credits: u.credits,
});

interface Framing {
  model: string;
  /** Seconds since the epoch, as OpenAI sends it. */
  created: number;
  includeUsage: boolean;
}

/**
 * The core's events as OpenAI's SSE `data:` payloads, ending with `[DONE]`; a failure ends the
 * stream with an `{error}` payload instead (the SDKs raise it), as OpenAI does.
 */
export async function* completionChunks(
  events: AsyncIterable<StreamEvent>,
  f: Framing,
): AsyncGenerator<string> {
  let id = '';
  let usage: Extract<StreamEvent, { event: 'usage' }>['data'] | undefined;
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      id,
      object: 'chat.completion.chunk',
      created: f.created,
      model: f.model,
      choices,
      ...extra,
    });
  for await (const e of events) {
    if (e.event === 'start') {
      id = `chatcmpl-${e.data.messageId}`;
      yield chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]);
    } else if (e.event === 'delta') {
      yield chunk([{ index: 0, delta: { content: e.data.text }, finish_reason: null }]);
    } else if (e.event === 'reasoning') {
      // OpenRouter's field for reasoning tokens; OpenAI's SDK passes unknown delta fields through.
      yield chunk([{ index: 0, delta: { reasoning: e.data.text }, finish_reason: null }]);
    } else if (e.event === 'usage') {
      usage = e.data;
    } else if (e.event === 'done') {
      if (revoked(e.data)) {
        yield JSON.stringify(REVOKED.body);
        return;
      }
      yield chunk([{ index: 0, delta: {}, finish_reason: finishReason(e.data) }]);
      if (f.includeUsage && usage) yield chunk([], { usage: usageOf(usage) });
      yield '[DONE]';
      return;
    } else if (e.event === 'error') {
      yield JSON.stringify(openAiError(e.data.code, 502, e.data.message).body);
      return;
    }
  }
}

/** The whole reply as one `chat.completion` (a non-streamed call), or the error that ended it. */
export async function completionResponse(
  events: AsyncIterable<StreamEvent>,
  f: Omit<Framing, 'includeUsage'>,
  statusOf: (code: ErrorCode) => number,
): Promise<{ status: number; body: unknown }> {
  let id = '';
  let content = '';
  let reasoning = '';
  let usage: Extract<StreamEvent, { event: 'usage' }>['data'] | undefined;
  for await (const e of events) {
    if (e.event === 'start') id = `chatcmpl-${e.data.messageId}`;
    else if (e.event === 'delta') content += e.data.text;
    else if (e.event === 'reasoning') reasoning += e.data.text;
    else if (e.event === 'usage') usage = e.data;
    else if (e.event === 'error') {
      const err = openAiError(e.data.code, statusOf(e.data.code), e.data.message);
      return { status: err.status, body: err.body };
    } else if (e.event === 'done') {
      if (revoked(e.data)) return { status: REVOKED.status, body: REVOKED.body };
      return {
        status: 200,
        body: {
          id,
          object: 'chat.completion',
          created: f.created,
          model: f.model,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content, refusal: null, ...(reasoning ? { reasoning } : {}) },
              logprobs: null,
              finish_reason: finishReason(e.data),
            },
          ],
          usage: usage ? usageOf(usage) : undefined,
        },
      };
    }
  }
  const err = openAiError('internal', 500, 'The call ended without an answer. Try again.');
  return { status: err.status, body: err.body };
}
