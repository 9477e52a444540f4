import { createStreamParser, type StreamEvent } from '../../shared/contracts/chat-stream';

export interface Answer<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A browser-like API client: keeps the session cookie and sends the CSRF header. */
export class ApiClient {
  cookie: string | undefined;
  csrf: string | undefined;

  constructor(readonly baseUrl: string) {}

  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    opts: { csrf?: boolean; rawBody?: string; headers?: Record<string, string> } = {},
  ): Promise<Answer<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (this.cookie) headers.cookie = this.cookie;
    if (this.csrf && opts.csrf !== false && method !== 'GET') headers['x-csrf-token'] = this.csrf;
    let payload: string | undefined = opts.rawBody;
    if (body !== undefined) payload = JSON.stringify(body);
    if (payload !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(this.baseUrl + path, { method, headers, body: payload });
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('gm_session='));
    if (setCookie) {
      const value = setCookie.split(';')[0]!;
      this.cookie = value === 'gm_session=' ? undefined : value;
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, headers: res.headers, body: parsed as T };
  }

  get = <T = any>(path: string) => this.request<T>('GET', path);
  post = <T = any>(path: string, body?: unknown) => this.request<T>('POST', path, body);
  patch = <T = any>(path: string, body?: unknown) => this.request<T>('PATCH', path, body);

  async register(email = `u${Math.random().toString(36).slice(2)}@example.com`, password = 'correct horse') {
    const res = await this.post('/api/auth/register', { email, password });
    if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
    this.csrf = (res.body as { csrfToken: string }).csrfToken;
    return res.body as { user: { id: string; email: string } };
  }

  async newConversation(title?: string): Promise<string> {
    const res = await this.post('/api/conversations', title ? { title } : {});
    if (res.status !== 201) throw new Error(`create failed: ${res.status}`);
    return (res.body as { conversation: { id: string } }).conversation.id;
  }

  /** Opens a reply stream; `events` resolves when the stream ends, `onEvent` sees each as it comes. */
  stream(conversationId: string, body: Record<string, unknown>, onEvent?: (e: StreamEvent) => void) {
    return this.streamAt('POST', `/api/conversations/${conversationId}/messages`, body, onEvent);
  }

  regenerate(conversationId: string, messageId: string, body: Record<string, unknown> = {}) {
    return this.streamAt(
      'POST',
      `/api/conversations/${conversationId}/messages/${messageId}/regenerate`,
      body,
    );
  }

  resume(conversationId: string, messageId: string, from: number, onEvent?: (e: StreamEvent) => void) {
    return this.streamAt(
      'GET',
      `/api/conversations/${conversationId}/messages/${messageId}/stream?from=${from}`,
      undefined,
      onEvent,
    );
  }

  async streamAt(
    method: string,
    path: string,
    body: Record<string, unknown> | undefined,
    onEvent?: (e: StreamEvent) => void,
  ) {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        cookie: this.cookie ?? '',
        'x-csrf-token': this.csrf ?? '',
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.headers.get('content-type')?.startsWith('text/event-stream')) {
      return {
        status: res.status,
        headers: res.headers,
        error: await res.json(),
        events: [] as StreamEvent[],
      };
    }
    const parser = createStreamParser();
    const events: StreamEvent[] = [];
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      for (const e of parser.push(decoder.decode(chunk, { stream: true }))) {
        events.push(e);
        onEvent?.(e);
      }
    }
    return { status: res.status, headers: res.headers, error: undefined, events };
  }
}

export const deltas = (events: StreamEvent[]) =>
  events.flatMap((e) => (e.event === 'delta' ? [e.data.text] : [])).join('');
