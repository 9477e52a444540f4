/**
 * An OpenAI-compatible stand-in for OpenRouter: deterministic replies, OpenRouter's SSE quirks
 * (comment lines, usage + cost only on the last chunk, mid-stream error chunks) and scriptable
 * failures. Used by tests, benchmarks and `npm run start:offline`. See README.md next to this file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import defaultModels from '../../shared/models/openrouter-models.json';

/** One scripted answer; every field is optional and the rest of the reply stays deterministic. */
export interface ScriptStep {
  /** Answer this HTTP status (400-599) before any byte, body `{"error":{"code","message"}}`. */
  status?: number;
  /** Seconds, sent as `Retry-After` together with `status`. */
  retryAfter?: number;
  /** Exact reply text (chunked a few words at a time) instead of the deterministic one. */
  text?: string;
  /** Exact reply chunks; wins over `text`. */
  chunks?: string[];
  /** Reasoning deltas to emit before the content, whatever the model. */
  reasoning?: string[];
  /** After N content chunks emit OpenRouter's mid-stream error chunk and end the response. */
  errorAfterChunks?: number;
  /** End the stream without `data: [DONE]`. */
  noDone?: boolean;
  /** Omit the final usage chunk (or `usage` in a non-stream reply). */
  noUsage?: boolean;
  /** Send usage without `cost`. */
  noCost?: boolean;
  /** Report this `usage.cost` (US$) instead of tokens × price, as OpenRouter does for a provider's own price. */
  cost?: number;
  /** Delay before each chunk of this request. */
  chunkDelayMs?: number;
  /** Send only keep-alive comments (every 500 ms) until the client gives up. */
  hang?: boolean;
  /** Wait this long before sending the status line. */
  firstByteDelayMs?: number;
  /**
   * Only a structured-output request (`response_format`, e.g. memory extraction) takes this step,
   * and only such steps are taken by those requests, so background extraction never eats a
   * step scripted for a reply or a title.
   */
  structured?: boolean;
}

export interface RecordedRequest {
  path: string;
  body: Record<string, unknown>;
  headers: IncomingHttpHeaders;
}

export interface FakeUpstream {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:7081/v1`. */
  url: string;
  port: number;
  /** Queues steps; each following chat completion request consumes one, first in first out. */
  script(...steps: ScriptStep[]): void;
  /** Clears the script queue and the recorded requests. */
  reset(): void;
  /** Every chat/embeddings request whose body parsed as a JSON object, in arrival order. */
  requests: RecordedRequest[];
  /** Stops listening and destroys open sockets, including hanging streams. */
  close(): Promise<void>;
}

export interface FakeUpstreamOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Default delay before each streamed chunk. */
  chunkDelayMs?: number;
  /** Catalogue served on /v1/models and used for pricing; `{ data: [...] }` as OpenRouter returns. */
  models?: unknown;
}

const scriptStepSchema = z.strictObject({
  status: z.number().int().min(400).max(599).optional(),
  retryAfter: z.number().min(0).optional(),
  text: z.string().optional(),
  chunks: z.array(z.string()).optional(),
  reasoning: z.array(z.string()).optional(),
  errorAfterChunks: z.number().int().min(0).optional(),
  noDone: z.boolean().optional(),
  noUsage: z.boolean().optional(),
  noCost: z.boolean().optional(),
  cost: z.number().min(0).optional(),
  chunkDelayMs: z.number().min(0).optional(),
  hang: z.boolean().optional(),
  firstByteDelayMs: z.number().min(0).optional(),
  structured: z.boolean().optional(),
}) satisfies z.ZodType<ScriptStep>;

const modelsSchema = z.object({
  data: z.array(
    z.object({
      id: z.string(),
      pricing: z.object({ prompt: z.coerce.number(), completion: z.coerce.number() }).optional(),
      supported_parameters: z.array(z.string()).optional(),
      architecture: z.looseObject({ input_modalities: z.array(z.string()).optional() }).optional(),
    }),
  ),
});

const textPartSchema = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  image_url: z.looseObject({ url: z.string() }).optional(),
});
const chatBodySchema = z.looseObject({
  model: z.string(),
  messages: z.array(
    z.looseObject({
      role: z.string(),
      content: z.union([z.string(), z.array(textPartSchema)]).nullish(),
    }),
  ),
  stream: z.boolean().nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
});
type ChatBody = z.infer<typeof chatBodySchema>;

const embeddingsBodySchema = z.looseObject({
  model: z.string(),
  input: z.union([z.string(), z.array(z.string())]),
  encoding_format: z.enum(['float', 'base64']).nullish(),
});

/** Internal plan: a script step plus what only directives can ask for. */
type Plan = ScriptStep & { long?: boolean };

// Typed into the last user message by a person trying the offline UI; scripts win over these.
const DIRECTIVES: Record<string, Plan> = {
  slow: { chunkDelayMs: 200 },
  'error-mid': { errorAfterChunks: 5 },
  'error-429': { status: 429, retryAfter: 2 },
  'error-402': { status: 402 },
  'error-503': { status: 503 },
  'no-done': { noDone: true },
  hang: { hang: true },
  long: { long: true },
};
const DIRECTIVE_RE = /#(slow|error-mid|error-429|error-402|error-503|no-done|hang|long)(?![\w-])/g;

const STATUS_MESSAGES: Record<number, string> = {
  402: 'Insufficient credits. Add more using https://openrouter.ai/credits',
  429: 'Rate limit exceeded, please retry shortly',
  503: 'No instances available for this model',
};

const FILLER =
  'This reply comes from the fake upstream, which answers without calling any real model. ' +
  'It repeats the start of your message so replies are easy to tell apart, then adds a few fixed ' +
  'sentences so that streaming has something to show. The same question always gets the same answer, ' +
  'which keeps tests and benchmarks repeatable. Type #slow, #long or #error-mid in a message to try ' +
  'other behaviours.';

const REASONING = [
  'Reading the question carefully. ',
  'The fake upstream answers by echoing the message. ',
  'Some fixed filler follows so the reply streams. ',
  'Ready to answer. ',
];

const KEEPALIVE = ': OPENROUTER PROCESSING\n\n';
const HANG_KEEPALIVE_MS = 500;
const EMBEDDING_DIMS = 384;

function messageText(content: ChatBody['messages'][number]['content']): string {
  if (typeof content === 'string') return content;
  return (content ?? []).map((part) => (part.type === 'text' ? (part.text ?? '') : '')).join('');
}

function hash32(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32LE(0);
}

/** Splits losslessly into chunks of a few words, so concatenating them gives `text` back. */
function chunkText(text: string, wordsPerChunk = 3): string[] {
  const words = text.match(/\s*\S+\s*/g) ?? (text ? [text] : []);
  const chunks: string[] = [];
  for (let i = 0; i < words.length; i += wordsPerChunk)
    chunks.push(words.slice(i, i + wordsPerChunk).join(''));
  return chunks;
}

function titleFrom(text: string): string {
  const words = text
    // Title prompts quote the exchange as "User: … Assistant: …"; a title is about the question.
    .replace(/^\s*user:\s*/i, '')
    .replace(/\bassistant:[\s\S]*$/i, '')
    .replace(DIRECTIVE_RE, ' ')
    .replace(/[^\p{L}\p{N}\s'-]/gu, ' ')
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 6);
  const title = words.join(' ');
  return title ? title.charAt(0).toUpperCase() + title.slice(1) : 'New chat';
}

/** The media types of a message's `image_url` parts (`data:image/png;base64,…` → `image/png`). */
function messageImages(content: ChatBody['messages'][number]['content']): string[] {
  if (typeof content === 'string' || !content) return [];
  return content.flatMap((part) =>
    part.type === 'image_url'
      ? [/^data:([\w.+/-]+)[;,]/.exec(part.image_url?.url ?? '')?.[1] ?? 'a linked image']
      : [],
  );
}

function deterministicReply(userText: string, long: boolean, images: string[] = []): string {
  const echo = userText.replace(/\s+/g, ' ').trim().slice(0, 200) || '(no text)';
  const paragraphs = long ? Array.from({ length: 12 }, (_, i) => `Paragraph ${i + 1}. ${FILLER}`) : [FILLER];
  // The demo model sees no pixels; saying what arrived shows that the images did.
  const seen = images.length
    ? ` I received ${images.length === 1 ? 'one image' : `${images.length} images`} (${images.join(', ')}) with your message.`
    : '';
  return `Echo: ${echo}.${seen} ${paragraphs.join('\n\n')}`;
}

type ModelInfo = z.infer<typeof modelsSchema>['data'][number];

function readConversation(body: ChatBody) {
  const texts = body.messages.map((m) => ({ role: m.role, text: messageText(m.content) }));
  return {
    promptChars: texts.reduce((n, m) => n + m.text.length, 0),
    userText: texts.findLast((m) => m.role === 'user')?.text ?? '',
    userImages: messageImages(body.messages.findLast((m) => m.role === 'user')?.content),
    isTitle: texts.some((m) => m.role === 'system' && /\btitle\b/i.test(m.text)),
  };
}

/** `response_format` as OpenAI takes it: a named JSON schema (structured output) or JSON mode. */
const responseFormatSchema = z.looseObject({
  type: z.string(),
  json_schema: z.looseObject({ name: z.string().optional() }).optional(),
});

/** What a memory extractor would find: the user's own statements about themselves, in order. */
const STATEMENTS: { re: RegExp; text: (m: string) => string; kind: 'fact' | 'preference'; key?: string }[] = [
  {
    re: /^i (?:now )?(?:live|am living) in (.+)$/i,
    text: (m) => `Lives in ${m}`,
    kind: 'fact',
    key: 'Lives in',
  },
  {
    re: /^(?:actually,? )?i(?:'ve| have)? moved to (.+)$/i,
    text: (m) => `Lives in ${m}`,
    kind: 'fact',
    key: 'Lives in',
  },
  { re: /^my name is (.+)$/i, text: (m) => `Name is ${m}`, kind: 'fact', key: 'Name is' },
  { re: /^i speak (.+)$/i, text: (m) => `Speaks ${m}`, kind: 'fact', key: 'Speaks' },
  { re: /^i work as (?:an? )?(.+)$/i, text: (m) => `Works as ${m}`, kind: 'fact', key: 'Works as' },
  { re: /^i prefer (.+)$/i, text: (m) => `Prefers ${m}`, kind: 'preference' },
  { re: /^i (?:really )?(?:like|love) (.+)$/i, text: (m) => `Likes ${m}`, kind: 'preference' },
  { re: /^i(?:'m| am) (?:an? )?([\p{L}-]+)$/iu, text: (m) => `Is ${m}`, kind: 'fact' },
];

/**
 * The deterministic memory extractor: the exchange arrives as "Existing memories: [id] text …
 * User: … Assistant: …"; only the user's part is read, and a statement whose kind an existing
 * memory already holds (e.g. "Lives in …") names that memory in `updates`.
 */
function memoriesFrom(prompt: string): string {
  const existing = [...prompt.matchAll(/^\[([^\]\s]+)\] (.+)$/gm)].map((m) => ({ id: m[1]!, text: m[2]! }));
  const user = /(?:^|\n)User: ([\s\S]*?)(?:\n\nAssistant:|$)/.exec(prompt)?.[1] ?? '';
  const clauses = user
    .split(/[.!?;\n]+|,?\s+and\s+(?=i\b|my\b)/i)
    .map((c) => c.trim().replace(/^(?:actually|also|so|well),?\s+/i, ''))
    .filter(Boolean);
  const memories: { text: string; kind: 'fact' | 'preference'; updates: string | null }[] = [];
  for (const clause of clauses) {
    for (const s of STATEMENTS) {
      const m = s.re.exec(clause);
      if (!m?.[1]) continue;
      const text = s.text(m[1].trim());
      const old = s.key ? existing.find((e) => e.text.startsWith(s.key!) && e.text !== text) : undefined;
      memories.push({ text, kind: s.kind, updates: old?.id ?? null });
      break;
    }
  }
  return JSON.stringify({ memories });
}

/** The answer to a structured-output request, or undefined for an ordinary one. */
function structuredAnswer(raw: Record<string, unknown>, body: ChatBody): string | undefined {
  const format = responseFormatSchema.safeParse(raw.response_format);
  if (!format.success || !['json_schema', 'json_object'].includes(format.data.type)) return undefined;
  const { userText } = readConversation(body);
  const name = format.data.json_schema?.name;
  if (
    name === 'memories' ||
    (format.data.type === 'json_object' && /memor/i.test(JSON.stringify(body.messages)))
  )
    return memoriesFrom(userText);
  return '{}';
}

/** Everything about the answer that does not depend on how it is delivered. */
function composeReply(body: ChatBody, model: ModelInfo, plan: Plan) {
  const { promptChars, userText, userImages, isTitle } = readConversation(body);
  const replyText = isTitle
    ? titleFrom(userText)
    : deterministicReply(userText, plan.long === true, userImages);
  const fullReasoning =
    plan.reasoning ??
    (model.supported_parameters?.includes('reasoning') ? REASONING.slice(0, 2 + (hash32(userText) % 3)) : []);
  const fullContent = plan.chunks ?? chunkText(plan.text ?? replyText);

  // Cut reasoning, then content, so that their characters fit max_tokens × 4 (our token estimate).
  let budget = (body.max_tokens ?? body.max_completion_tokens ?? Infinity) * 4;
  const fit = (pieces: string[]) =>
    pieces.flatMap((piece) => {
      const kept = budget > 0 ? [piece.slice(0, budget)] : [];
      budget -= piece.length;
      return kept;
    });
  const reasoning = fit(fullReasoning);
  const content = fit(fullContent);

  const promptTokens = Math.ceil(promptChars / 4);
  const completionTokens = Math.ceil([...reasoning, ...content].join('').length / 4);
  const price = model.pricing ?? { prompt: 0, completion: 0 };
  const cost = plan.cost ?? promptTokens * price.prompt + completionTokens * price.completion;
  return {
    reasoning,
    content,
    finishReason: budget < 0 ? 'length' : 'stop',
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      ...(plan.noCost ? {} : { cost }),
    },
  };
}

function embed(text: string): number[] {
  // Feature hashing of words: texts that share words get nearby vectors, so memory search in
  // offline mode finds something plausible rather than noise.
  const vec = new Array<number>(EMBEDDING_DIMS).fill(0);
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [text];
  for (const word of words) {
    const h = hash32(word);
    vec[h % EMBEDDING_DIMS] = (vec[h % EMBEDDING_DIMS] ?? 0) + (h & 0x80000000 ? -1 : 1);
  }
  const norm = Math.hypot(...vec) || 1;
  return vec.map((v) => v / norm);
}

function toBase64Float32(vec: number[]): string {
  const buf = Buffer.alloc(vec.length * 4);
  vec.forEach((v, i) => buf.writeFloatLE(v, i * 4));
  return buf.toString('base64');
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, message: string, retryAfter?: number): void {
  const headers: Record<string, string> =
    retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) };
  sendJson(res, status, { error: { code: status, message } }, headers);
}

async function readObject(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  try {
    const value: unknown = JSON.parse(Buffer.concat(parts).toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves after `ms`, or early (without throwing) once the client has gone. */
async function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (ms > 0 && !signal.aborted) await delay(ms, undefined, { signal }).catch(() => undefined);
}

export async function startFakeUpstream(opts: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const catalogue = opts.models ?? defaultModels;
  const models = new Map(modelsSchema.parse(catalogue).data.map((m) => [m.id, m]));
  const queue: ScriptStep[] = [];
  // Mutated in place so a reference a test took before reset() stays live.
  const requests: RecordedRequest[] = [];

  function planFor(body: ChatBody): Plan {
    const structured = body.response_format !== undefined && body.response_format !== null;
    const at = queue.findIndex((step) => (step.structured === true) === structured);
    if (at >= 0) return queue.splice(at, 1)[0]!;
    const { isTitle, userText } = readConversation(body);
    // Directives are ignored on title and structured-output requests so that e.g. #hang only affects the chat reply.
    if (isTitle || body.response_format) return {};
    const found = [...userText.matchAll(DIRECTIVE_RE)].map((m) => DIRECTIVES[m[1] ?? ''] ?? {});
    return found.reduce<Plan>((plan, d) => ({ ...plan, ...d }), {});
  }

  async function handleChat(res: ServerResponse, raw: Record<string, unknown>): Promise<void> {
    const parsed = chatBodySchema.safeParse(raw);
    if (!parsed.success) return sendError(res, 400, `Invalid request: ${parsed.error.message}`);
    const body = parsed.data;
    const model = models.get(body.model);
    if (!model) return sendError(res, 400, `${body.model} is not a valid model ID`);
    // OpenRouter's answer when images reach a model that reads none.
    const readsImages = model.architecture?.input_modalities?.includes('image') ?? false;
    if (!readsImages && body.messages.some((m) => messageImages(m.content).length > 0)) {
      return sendError(res, 404, 'No endpoints found that support image input');
    }
    const plan = planFor(body);
    const stream = body.stream === true;

    // res 'close' fires when the client disconnects (and, harmlessly, after a normal end);
    // req 'close' no longer means "aborted" on current Node versions.
    const gone = new AbortController();
    res.on('close', () => gone.abort());
    const write = (data: string): void => {
      if (!gone.signal.aborted && !res.writableEnded) res.write(data);
    };
    const startStream = () => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
      write(KEEPALIVE);
    };

    await pause(plan.firstByteDelayMs ?? 0, gone.signal);
    if (gone.signal.aborted) return;
    if (plan.status) {
      const message = STATUS_MESSAGES[plan.status] ?? 'Fake upstream error';
      return sendError(res, plan.status, message, plan.retryAfter);
    }
    if (plan.hang) {
      if (stream) startStream();
      while (!gone.signal.aborted) {
        await pause(HANG_KEEPALIVE_MS, gone.signal);
        if (stream) write(KEEPALIVE);
      }
      return;
    }

    const structured = plan.text === undefined && !plan.chunks ? structuredAnswer(raw, body) : undefined;
    const { reasoning, content, finishReason, usage } = composeReply(
      body,
      model,
      structured === undefined ? plan : { ...plan, text: structured, reasoning: [] },
    );
    const id = `gen-${Date.now()}-${randomBytes(8).toString('hex')}`;
    const head = { id, created: Math.floor(Date.now() / 1000), model: body.model };

    if (!stream) {
      if (plan.errorAfterChunks !== undefined) return sendError(res, 502, 'Upstream provider error');
      const message = {
        role: 'assistant',
        content: content.join(''),
        ...(reasoning.length ? { reasoning: reasoning.join('') } : {}),
      };
      return sendJson(res, 200, {
        ...head,
        object: 'chat.completion',
        choices: [{ index: 0, message, finish_reason: finishReason, logprobs: null }],
        ...(plan.noUsage ? {} : { usage }),
      });
    }

    const frame = (extra: Record<string, unknown>) =>
      write(`data: ${JSON.stringify({ ...head, object: 'chat.completion.chunk', ...extra })}\n\n`);
    const delta = (d: Record<string, unknown>, finish: string | null = null) =>
      frame({ choices: [{ index: 0, delta: { role: 'assistant', ...d }, finish_reason: finish }] });
    const chunkDelay = plan.chunkDelayMs ?? opts.chunkDelayMs ?? 0;

    startStream();
    for (const r of reasoning) {
      await pause(chunkDelay, gone.signal);
      delta({ reasoning: r });
    }
    const sent = plan.errorAfterChunks === undefined ? content : content.slice(0, plan.errorAfterChunks);
    for (const [i, c] of sent.entries()) {
      await pause(chunkDelay, gone.signal);
      delta({ content: c });
      if ((i + 1) % 10 === 0) write(KEEPALIVE);
    }
    if (plan.errorAfterChunks !== undefined) {
      frame({
        error: { code: 502, message: 'Upstream provider error' },
        choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }],
      });
    } else {
      delta({ content: '' }, finishReason);
      if (!plan.noUsage) frame({ choices: [], usage });
      if (!plan.noDone) write('data: [DONE]\n\n');
    }
    res.end();
  }

  function handleEmbeddings(res: ServerResponse, raw: Record<string, unknown>): void {
    const parsed = embeddingsBodySchema.safeParse(raw);
    if (!parsed.success) return sendError(res, 400, `Invalid request: ${parsed.error.message}`);
    const { model, input, encoding_format } = parsed.data;
    const inputs = typeof input === 'string' ? [input] : input;
    const asBase64 = encoding_format !== 'float';
    const data = inputs.map((text, index) => {
      const vec = embed(text);
      return { object: 'embedding', index, embedding: asBase64 ? toBase64Float32(vec) : vec };
    });
    const tokens = Math.ceil(inputs.join('').length / 4);
    sendJson(res, 200, {
      object: 'list',
      data,
      model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  }

  function script(...steps: ScriptStep[]): void {
    // Validating here turns a typo'd field into an immediate error instead of a silently ignored step.
    queue.push(...steps.map((s) => scriptStepSchema.parse(s)));
  }

  function reset(): void {
    queue.length = 0;
    requests.length = 0;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = `${req.method ?? 'GET'} ${path}`;
    if (route === 'GET /v1/models') return sendJson(res, 200, catalogue);
    if (route === 'POST /__reset') {
      reset();
      return sendJson(res, 200, { ok: true });
    }
    if (route === 'GET /__requests') return sendJson(res, 200, requests);
    const known = ['POST /v1/chat/completions', 'POST /v1/embeddings', 'POST /__script'];
    if (!known.includes(route)) return sendError(res, 404, `No route for ${route}`);

    const body = await readObject(req);
    if (!body) return sendError(res, 400, 'Malformed JSON body');
    if (route === 'POST /__script') {
      const steps = z.object({ steps: z.array(scriptStepSchema) }).safeParse(body);
      if (!steps.success) return sendError(res, 400, `Invalid script: ${steps.error.message}`);
      script(...steps.data.steps);
      return sendJson(res, 200, { queued: queue.length });
    }
    requests.push({ path, body, headers: req.headers });
    if (route === 'POST /v1/embeddings') return handleEmbeddings(res, body);
    return handleChat(res, body);
  }

  const server = createServer((req, res) => {
    // A client that vanishes mid-response makes writes fail; that is expected, not a crash.
    res.on('error', () => undefined);
    req.on('error', () => undefined);
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, 500, `Fake upstream crashed: ${String(err)}`);
      else res.destroy();
    });
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}/v1`,
    port,
    script,
    reset,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // server.close() alone waits for hanging streams and keep-alive sockets forever.
        server.closeAllConnections();
      }),
  };
}
