/**
 * The one way the web app talks to the API (API.md). Same-origin fetch with the session cookie,
 * the CSRF token on every state-changing request, errors as `ApiError`, and the chat reply read
 * as server-sent events from the POST response body.
 */
import type { z } from 'zod';
import type {
  DeleteAccountBody,
  PasswordBody,
  ProvidersResponse,
  SessionResponse,
  SettingsBody,
  User,
} from '../../../shared/contracts/auth';
import type { CreateMemoryBody, Memory } from '../../../shared/contracts/memories';
import type { ApiKey, CreateApiKeyBody, CreatedApiKey } from '../../../shared/contracts/api-keys';
import type { StreamEvent } from '../../../shared/contracts/chat-stream';
import type {
  Conversation,
  ConversationDetailResponse,
  CreateConversationBody,
  ListConversationsResponse,
  RegenerateBody,
  SendMessageBody,
  UpdateConversationBody,
} from '../../../shared/contracts/conversations';
import type { HealthResponse } from '../../../shared/contracts/health';
import type { ModelsResponse } from '../../../shared/contracts/models';
import type {
  checkoutResponse,
  LedgerResponse,
  PackagesResponse,
  UsageResponse,
} from '../../../shared/contracts/billing';
import type { Feedback, FeedbackBody, FeedbackSummaryResponse } from '../../../shared/contracts/feedback';
import type {
  CreatePresetBody,
  Preset,
  PresetsResponse,
  UpdatePresetBody,
} from '../../../shared/contracts/presets';
import type { PublicShareResponse, Share, SharesResponse } from '../../../shared/contracts/shares';
import type { Document, UploadUrlBody } from '../../../shared/contracts/documents';
import type { Image } from '../../../shared/contracts/images';

/** Files up to this size go through `POST /api/documents`; larger ones through an upload link. */
export const DIRECT_UPLOAD_MAX_BYTES = 4 * 1024 * 1024;

/** Upload progress, 0 to 1, as the bytes leave the browser. */
export type UploadProgress = (fraction: number) => void;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const isApiError = (e: unknown, code?: string): e is ApiError =>
  e instanceof ApiError && (code === undefined || e.code === code);

/** How a reply stream ended, as far as this browser saw it. */
export type StreamEnd =
  | Extract<StreamEvent, { event: 'done' }>
  | Extract<StreamEvent, { event: 'error' }>
  /** The connection ended without `done` or `error`; the reply may still be running server-side. */
  | { event: 'interrupted' };

export interface ApiClientOptions {
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Called when a request finds the session gone, so the app can show the sign-in screen. */
  onUnauthenticated?: () => void;
}

interface RequestOptions {
  body?: unknown;
  signal?: AbortSignal;
  /** Auth endpoints answer 401 as part of their normal flow; do not treat it as a lost session. */
  expectUnauthenticated?: boolean;
}

const STATUS_MESSAGES: Record<number, string> = {
  429: 'Too many requests. Wait a moment and try again.',
  502: 'The server could not reach the model provider. Try again in a moment.',
  503: 'The service is unavailable right now. Try again in a moment.',
  504: 'The server took too long to answer. Try again in a moment.',
};

async function errorFrom(res: Response): Promise<ApiError> {
  const retryAfter = Number(res.headers.get('retry-after'));
  const retry = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined;
  try {
    const body = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === 'string' && typeof body.error.message === 'string') {
      return new ApiError(res.status, body.error.code, body.error.message, retry);
    }
  } catch {
    // Not our JSON error shape (a proxy page, an empty body): fall back to the status.
  }
  const message =
    STATUS_MESSAGES[res.status] ??
    (res.status >= 500
      ? `Something went wrong on the server (error ${res.status}). Try again in a moment.`
      : `The server refused the request (error ${res.status}). Reload the page and try again.`);
  return new ApiError(res.status, res.status === 404 ? 'not_found' : `http_${res.status}`, message, retry);
}

/**
 * The stream parser validates every event with the shared zod schemas, and zod alone is about
 * 25 KB gzipped: it loads with the first message sent (and is prefetched when the app is idle),
 * not with the chat screen.
 */
const loadStreamParser = () =>
  import('../../../shared/contracts/chat-stream').then((m) => m.createStreamParser);

export function prefetchStreamParser(): void {
  void loadStreamParser().catch(() => undefined);
}

const networkError = () =>
  new ApiError(0, 'network', 'Could not reach the server. Check your connection and try again.');

export function createApiClient(options: ApiClientOptions = {}) {
  const baseUrl = options.baseUrl ?? '';
  const fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
  let csrfToken: string | undefined;

  async function send(
    method: string,
    path: string,
    opts: RequestOptions,
    retried = false,
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
    let res: Response;
    try {
      res = await fetchFn(baseUrl + path, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        credentials: 'same-origin',
        signal: opts.signal,
      });
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      throw networkError();
    }
    if (res.ok) return res;
    const error = await errorFrom(res);
    // The token rotates with the session (a login in another tab): fetch the current one once.
    if (error.code === 'csrf_failed' && !retried) {
      await session();
      return send(method, path, opts, true);
    }
    if (error.status === 401 && !opts.expectUnauthenticated) options.onUnauthenticated?.();
    throw error;
  }

  /** A request whose body is not JSON (a multipart upload): the same CSRF, errors and 401 handling. */
  async function sendRaw(method: string, path: string, body: BodyInit, retried = false): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (csrfToken) headers['x-csrf-token'] = csrfToken;
    let res: Response;
    try {
      res = await fetchFn(baseUrl + path, { method, headers, body, credentials: 'same-origin' });
    } catch {
      throw networkError();
    }
    if (res.ok) return res;
    const error = await errorFrom(res);
    if (error.code === 'csrf_failed' && !retried) {
      await session();
      return sendRaw(method, path, body, true);
    }
    if (error.status === 401) options.onUnauthenticated?.();
    throw error;
  }

  async function json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await send(method, path, opts);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  async function session(): Promise<SessionResponse> {
    const answer = await json<SessionResponse>('GET', '/api/auth/session', { expectUnauthenticated: true });
    csrfToken = answer.csrfToken;
    return answer;
  }

  /** Register and login answer with the user; the CSRF token comes with it or from the session. */
  async function signedIn(answer: { user: User; csrfToken?: string }): Promise<User> {
    if (answer.csrfToken) {
      csrfToken = answer.csrfToken;
      return answer.user;
    }
    return (await session()).user;
  }

  /**
   * Sends a request whose answer is the reply stream (send, regenerate, resume) and reads it to
   * the end. A refusal before the stream (402, 429, ...) throws the ApiError.
   */
  async function readReplyStream(
    method: string,
    path: string,
    body: unknown,
    onEvent: (event: StreamEvent) => void,
    signal?: AbortSignal,
  ): Promise<StreamEnd> {
    const parserReady = loadStreamParser();
    parserReady.catch(() => undefined);
    const res = await send(method, path, { body, signal });
    if (!res.headers.get('content-type')?.includes('text/event-stream') || !res.body) {
      throw new ApiError(res.status, 'bad_stream', 'The server did not answer with a reply stream.');
    }
    const reader = res.body.getReader();
    let parser: ReturnType<Awaited<typeof parserReady>>;
    try {
      parser = (await parserReady)();
    } catch {
      // The reply has started and runs on without us; the caller follows it another way.
      await reader.cancel().catch(() => undefined);
      return { event: 'interrupted' };
    }
    const decoder = new TextDecoder();
    let end: StreamEnd = { event: 'interrupted' };
    const take = (text: string) => {
      for (const event of parser.push(text)) {
        if (event.event === 'done' || event.event === 'error') end = event;
        onEvent(event);
      }
    };
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        take(decoder.decode(value, { stream: true }));
      }
      take(decoder.decode());
    } catch {
      // Leaving the conversation aborts the read, a dropped connection breaks it, and an event this
      // build does not understand stops the parser. None of these stop the reply server-side, so the
      // caller resumes it (or reads the conversation again) instead.
      await reader.cancel().catch(() => undefined);
      return { event: 'interrupted' };
    }
    return end;
  }

  const doc = (id: string) => `/api/documents/${encodeURIComponent(id)}`;
  const conv = (id: string) => `/api/conversations/${encodeURIComponent(id)}`;
  const msg = (id: string, messageId: string) => `${conv(id)}/messages/${encodeURIComponent(messageId)}`;

  /** Sends a message; the answer is the reply stream. */
  const streamReply = (
    conversationId: string,
    body: SendMessageBody,
    onEvent: (event: StreamEvent) => void,
    signal?: AbortSignal,
  ) => readReplyStream('POST', `${conv(conversationId)}/messages`, body, onEvent, signal);

  /** A new reply to the same question, as a sibling of `messageId` (an assistant message). */
  const regenerate = (
    conversationId: string,
    messageId: string,
    body: RegenerateBody,
    onEvent: (event: StreamEvent) => void,
    signal?: AbortSignal,
  ) => readReplyStream('POST', `${msg(conversationId, messageId)}/regenerate`, body, onEvent, signal);

  /** Continues a reply that is still being written, from the `from` characters already shown. */
  const resumeReply = (
    conversationId: string,
    messageId: string,
    from: number,
    onEvent: (event: StreamEvent) => void,
    signal?: AbortSignal,
  ) =>
    readReplyStream(
      'GET',
      `${msg(conversationId, messageId)}/stream?from=${Math.max(0, Math.floor(from))}`,
      undefined,
      onEvent,
      signal,
    );

  /** An image for a message, as multipart field `file`, with upload progress (fetch has none). */
  function uploadImage(
    file: File,
    onProgress?: UploadProgress,
    Xhr = XMLHttpRequest,
    retried = false,
  ): Promise<Image> {
    return new Promise((resolve, reject) => {
      const xhr = new Xhr();
      xhr.open('POST', `${baseUrl}/api/images`);
      if (csrfToken) xhr.setRequestHeader('x-csrf-token', csrfToken);
      xhr.upload.onprogress = (e) => e.lengthComputable && onProgress?.(e.loaded / e.total);
      xhr.onerror = () => reject(networkError());
      xhr.onload = async () => {
        const res = new Response(xhr.responseText, { status: xhr.status });
        if (res.ok) return resolve(((await res.json()) as { image: Image }).image);
        const error = await errorFrom(res);
        if (error.code === 'csrf_failed' && !retried) {
          await session().catch(() => undefined);
          return uploadImage(file, onProgress, Xhr, true).then(resolve, reject);
        }
        if (error.status === 401) options.onUnauthenticated?.();
        reject(error);
      };
      const form = new FormData();
      form.append('file', file, file.name);
      xhr.send(form);
    });
  }

  return {
    session,
    async register(body: { email: string; password: string; name?: string }) {
      return signedIn(
        await json<{ user: User; csrfToken?: string }>('POST', '/api/auth/register', {
          body,
          expectUnauthenticated: true,
        }),
      );
    },
    async login(body: { email: string; password: string }) {
      return signedIn(
        await json<{ user: User; csrfToken?: string }>('POST', '/api/auth/login', {
          body,
          expectUnauthenticated: true,
        }),
      );
    },
    async logout() {
      try {
        await json<void>('POST', '/api/auth/logout', { expectUnauthenticated: true });
      } finally {
        csrfToken = undefined;
      }
    },
    /** The sign-in providers configured on this server (the buttons link to `/api/auth/{id}`). */
    providers: () => json<ProvidersResponse>('GET', '/api/auth/providers', { expectUnauthenticated: true }),
    /** Sets a password (none yet: no current one) or changes it; other sessions are signed out. */
    setPassword: (body: PasswordBody) =>
      // A wrong current password is a 401 that leaves the session as it is.
      json<void>('POST', '/api/auth/password', { body, expectUnauthenticated: true }),
    /** Deletes the account; the password only when it has one. */
    async deleteAccount(body: DeleteAccountBody) {
      await json<void>('DELETE', '/api/account', { body, expectUnauthenticated: true });
      csrfToken = undefined;
    },
    updateSettings: (body: SettingsBody) => json<{ user: User }>('PATCH', '/api/settings', { body }),

    memories: () => json<{ memories: Memory[] }>('GET', '/api/memories'),
    createMemory: (body: CreateMemoryBody) => json<{ memory: Memory }>('POST', '/api/memories', { body }),
    updateMemory: (id: string, text: string) =>
      json<{ memory: Memory }>('PATCH', `/api/memories/${encodeURIComponent(id)}`, { body: { text } }),
    deleteMemory: (id: string) => json<void>('DELETE', `/api/memories/${encodeURIComponent(id)}`),
    /** Forget everything. */
    forgetMemories: () => json<void>('DELETE', '/api/memories'),

    apiKeys: () => json<{ keys: ApiKey[] }>('GET', '/api/keys'),
    createApiKey: (body: CreateApiKeyBody) => json<CreatedApiKey>('POST', '/api/keys', { body }),
    revokeApiKey: (id: string) => json<void>('DELETE', `/api/keys/${encodeURIComponent(id)}`),

    models: () => json<ModelsResponse>('GET', '/api/models'),
    health: () => json<HealthResponse>('GET', '/api/health', { expectUnauthenticated: true }),

    listConversations(
      query: { cursor?: string | null; q?: string; limit?: number } = {},
      signal?: AbortSignal,
    ) {
      const params = new URLSearchParams();
      if (query.limit) params.set('limit', String(query.limit));
      if (query.cursor) params.set('cursor', query.cursor);
      if (query.q) params.set('q', query.q);
      const qs = params.toString();
      return json<ListConversationsResponse>('GET', `/api/conversations${qs ? `?${qs}` : ''}`, { signal });
    },
    createConversation: (body: CreateConversationBody = {}) =>
      json<{ conversation: Conversation }>('POST', '/api/conversations', { body }),
    getConversation: (id: string, signal?: AbortSignal) =>
      json<ConversationDetailResponse>('GET', conv(id), { signal }),
    renameConversation: (id: string, title: string) =>
      json<{ conversation: Conversation }>('PATCH', conv(id), { body: { title } }),
    /** Settings, and `activeMessageId` to switch the branch shown (GET again for its messages). */
    updateConversation: (id: string, body: UpdateConversationBody) =>
      json<{ conversation: Conversation }>('PATCH', conv(id), { body }),
    deleteConversation: (id: string) => json<void>('DELETE', conv(id)),
    streamReply,
    regenerate,
    resumeReply,
    stopReply: (id: string) => json<unknown>('POST', `${conv(id)}/stop`),

    billingPackages: () => json<PackagesResponse>('GET', '/api/billing/packages'),
    checkout: (packageId: string) =>
      json<z.infer<typeof checkoutResponse>>('POST', '/api/billing/checkout', { body: { packageId } }),
    ledger: (cursor?: string | null, limit = 20) =>
      json<LedgerResponse>(
        'GET',
        `/api/billing/ledger?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      ),
    usage: (days = 30) => json<UsageResponse>('GET', `/api/billing/usage?days=${days}`),
    /** A plain link downloads it (a GET with the session cookie): one row per metered call. */
    usageCsvUrl: (days = 30) => `${baseUrl}/api/billing/usage?days=${days}&format=csv`,

    presets: () => json<PresetsResponse>('GET', '/api/presets'),
    createPreset: (body: CreatePresetBody) => json<{ preset: Preset }>('POST', '/api/presets', { body }),
    updatePreset: (id: string, body: UpdatePresetBody) =>
      json<{ preset: Preset }>('PATCH', `/api/presets/${encodeURIComponent(id)}`, { body }),
    deletePreset: (id: string) => json<void>('DELETE', `/api/presets/${encodeURIComponent(id)}`),

    /** The active branch as a download, through a plain link. */
    exportUrl: (id: string, format: 'md' | 'json') => `${baseUrl}${conv(id)}/export?format=${format}`,
    createShare: (conversationId: string) => json<{ share: Share }>('POST', `${conv(conversationId)}/shares`),
    shares: () => json<SharesResponse>('GET', '/api/shares'),
    revokeShare: (id: string) => json<void>('DELETE', `/api/shares/${encodeURIComponent(id)}`),
    /** Anyone's share, signed in or not: a 404 is a link that never existed or was revoked. */
    publicShare: (id: string) =>
      json<PublicShareResponse>('GET', `/api/public/shares/${encodeURIComponent(id)}`, {
        expectUnauthenticated: true,
      }),
    /** "Continue this chat": a copy in the signed-in viewer's account. */
    continueShare: (id: string) =>
      json<{ conversation: Conversation }>('POST', `/api/public/shares/${encodeURIComponent(id)}/continue`),

    setFeedback: (messageId: string, body: FeedbackBody) =>
      json<{ feedback: Feedback }>('PUT', `/api/messages/${encodeURIComponent(messageId)}/feedback`, {
        body,
      }),
    clearFeedback: (messageId: string) =>
      json<void>('DELETE', `/api/messages/${encodeURIComponent(messageId)}/feedback`),
    listDocuments: (signal?: AbortSignal) =>
      json<{ documents: Document[] }>('GET', '/api/documents', { signal }),
    getDocument: (id: string) => json<{ document: Document }>('GET', doc(id)),
    deleteDocument: (id: string) => json<void>('DELETE', doc(id)),
    /** The original file, as an attachment through a plain link (owner only). */
    documentFileUrl: (id: string) => `${baseUrl}${doc(id)}/file`,
    /** A small file, as multipart field `file`: 202 with the document, still processing. */
    async uploadDocument(file: File): Promise<Document> {
      const form = new FormData();
      form.append('file', file, file.name);
      const res = await sendRaw('POST', '/api/documents', form);
      return ((await res.json()) as { document: Document }).document;
    },
    /** A write-only link to Blob Storage for a large file; the blob's arrival starts the ingestion. */
    documentUploadUrl: (body: UploadUrlBody) =>
      json<{ document: Document; uploadUrl: string; expiresAt: string }>(
        'POST',
        '/api/documents/upload-url',
        {
          body,
        },
      ),
    feedbackSummary: (days = 30) => json<FeedbackSummaryResponse>('GET', `/api/feedback?days=${days}`),
    /** An image's bytes (owner only), for `<img src>`. */
    imageUrl: (id: string) => `${baseUrl}/api/images/${encodeURIComponent(id)}`,
    uploadImage,
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;

/**
 * PUTs a file's bytes to a Blob SAS link, with progress (fetch has no upload progress). Blob
 * Storage answers 201; anything else is an ApiError the panel can show.
 */
export function putBlob(
  url: string,
  file: Blob,
  onProgress?: UploadProgress,
  Xhr: typeof XMLHttpRequest = XMLHttpRequest,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new Xhr();
    xhr.open('PUT', url);
    xhr.setRequestHeader('x-ms-blob-type', 'BlockBlob');
    if (file.type) xhr.setRequestHeader('content-type', file.type);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress?.(e.loaded / e.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress?.(1);
        resolve();
      } else
        reject(
          new ApiError(
            xhr.status,
            `http_${xhr.status}`,
            `The storage refused the file (error ${xhr.status}). Try uploading it again.`,
          ),
        );
    };
    xhr.onerror = () => reject(networkError());
    xhr.send(file);
  });
}
