/**
 * Signed-in users of the app under test, each with a conversation, seen as stream paths. Every
 * concurrent stream belongs to a different person, as on a real service.
 */
import type { StreamPath } from './relay';

export const MODEL = 'openai/gpt-4o-mini';

export interface Person {
  email: string;
  /** POST a message to the person's conversation; the reply streams back. */
  chat: StreamPath;
  /** The same reply through the OpenAI-compatible API, with the person's own key (OpenAI's chunks). */
  api: StreamPath;
  /** Same, with more text (`#chunks=N` tells the stamped upstream how long to stream). */
  send(content: string): Promise<Response>;
  /** A new conversation for the next messages (a long one makes every prompt longer). */
  newConversation(): Promise<void>;
  stop(): Promise<Response>;
  addMemory(text: string): Promise<void>;
  /** Uploads a text document and waits until it is ready to be searched. */
  addDocument(name: string, text: string): Promise<void>;
}

export async function signUp(base: string, tag: string): Promise<Person> {
  const email = `bench-${tag}-${Math.random().toString(36).slice(2)}@example.com`;
  const reg = await fetch(`${base}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'benchmark' }),
  });
  if (!reg.ok) throw new Error(`register answered ${reg.status}: ${await reg.text()}`);
  const cookie = reg.headers.getSetCookie()[0]!.split(';')[0]!;
  const { csrfToken } = (await reg.json()) as { csrfToken: string };
  const headers = { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken };
  let conversationId = '';
  const newConversation = async () => {
    const res = await fetch(`${base}/api/conversations`, { method: 'POST', headers, body: '{}' });
    if (!res.ok) throw new Error(`create conversation answered ${res.status}`);
    conversationId = ((await res.json()) as { conversation: { id: string } }).conversation.id;
  };
  await newConversation();
  const keyRes = await fetch(`${base}/api/keys`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ name: 'bench' }),
  });
  if (!keyRes.ok) throw new Error(`create key answered ${keyRes.status}: ${await keyRes.text()}`);
  const { secret } = (await keyRes.json()) as { secret: string };
  const send = (content: string) =>
    fetch(`${base}/api/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ content, model: MODEL, maxTokens: 256 }),
    });
  return {
    email,
    chat: { name: 'app', relayed: true, open: () => send('hi') },
    api: {
      name: 'api/v1',
      relayed: false,
      open: () =>
        fetch(`${base}/api/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
          body: JSON.stringify({
            model: MODEL,
            stream: true,
            max_tokens: 256,
            messages: [{ role: 'user', content: 'hi' }],
          }),
        }),
    },
    send,
    newConversation,
    stop: () =>
      fetch(`${base}/api/conversations/${conversationId}/stop`, { method: 'POST', headers, body: '{}' }),
    async addMemory(text) {
      const res = await fetch(`${base}/api/memories`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ text }),
      });
      if (!res.ok) throw new Error(`memory answered ${res.status}: ${await res.text()}`);
    },
    async addDocument(name, text) {
      const form = new FormData();
      form.append('file', new Blob([text], { type: 'text/plain' }), name);
      const res = await fetch(`${base}/api/documents`, {
        method: 'POST',
        headers: { cookie, 'x-csrf-token': csrfToken },
        body: form,
      });
      if (!res.ok) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
      const { document } = (await res.json()) as { document: { id: string } };
      for (let i = 0; i < 1200; i++) {
        const got = (await (await fetch(`${base}/api/documents/${document.id}`, { headers })).json()) as {
          document: { status: string; error?: string };
        };
        if (got.document.status === 'ready') return;
        if (got.document.status === 'failed') throw new Error(`document failed: ${got.document.error}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('document not ready after 2 minutes');
    },
  };
}

/** `n` people, signed up ten at a time (each sign-up hashes a password). */
export async function signUpMany(base: string, tag: string, n: number): Promise<Person[]> {
  const people: Person[] = [];
  for (let i = 0; i < n; i += 10)
    people.push(...(await Promise.all(Array.from({ length: Math.min(10, n - i) }, () => signUp(base, tag)))));
  return people;
}

/** The upstream read directly, or through the bare proxy: OpenAI's chunks, nothing relayed. */
export const upstreamPath = (name: string, url: string): StreamPath => ({
  name,
  relayed: false,
  open: () =>
    fetch(`${url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    }),
});
