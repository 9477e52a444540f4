import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../helpers/client';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let alice: ApiClient;
let bob: ApiClient;
let aliceId: string;
let aliceEmail: string;
beforeAll(async () => {
  stack = await startStack({ env: { SIGNUP_BONUS_CREDITS: '10000000' } });
  alice = new ApiClient(stack.url);
  bob = new ApiClient(stack.url);
  const registered = await alice.register();
  aliceId = registered.user.id;
  aliceEmail = registered.user.email;
  await bob.register();
});
afterAll(() => stack.close());

const MODEL = 'openai/gpt-4o-mini';

async function say(
  client: ApiClient,
  id: string,
  content: string,
  answer: string,
  extra: Record<string, unknown> = {},
) {
  stack.upstream.script({ text: answer });
  const res = await client.stream(id, { content, model: MODEL, ...extra });
  expect(res.error ?? res.events.at(-1)?.event).toBe('done');
  await stack.host.queues.waitIdle(10_000);
  return res;
}

/** A conversation of Alice's with two exchanges. */
async function conversation(title = 'Trip to Rome') {
  const id = (await alice.post('/api/conversations', { title })).body.conversation.id as string;
  await say(alice, id, 'Where should I stay?', 'Trastevere is lovely.');
  await say(alice, id, 'And eat?', 'Try cacio e pepe.');
  return id;
}

const anonymous = () => new ApiClient(stack.url);

describe('shares', () => {
  it('a share is a public, read-only snapshot with nothing about its owner', async () => {
    const id = await conversation();
    const created = await alice.post(`/api/conversations/${id}/shares`);
    expect(created.status).toBe(201);
    const share = created.body.share;
    expect(share).toMatchObject({ title: 'Trip to Rome', conversationId: id, messageCount: 4 });
    expect(share.url).toBe(`${stack.url}/s/${share.id}`);
    expect(share.id).toMatch(/^[A-Za-z0-9_-]{22}$/);

    const res = await fetch(`${stack.url}/api/public/shares/${share.id}`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const body = JSON.parse(text);
    expect(body.share).toEqual({
      id: share.id,
      title: 'Trip to Rome',
      createdAt: share.createdAt,
      messages: [
        { role: 'user', content: 'Where should I stay?', model: MODEL, createdAt: expect.any(String) },
        { role: 'assistant', content: 'Trastevere is lovely.', model: MODEL, createdAt: expect.any(String) },
        { role: 'user', content: 'And eat?', model: MODEL, createdAt: expect.any(String) },
        { role: 'assistant', content: 'Try cacio e pepe.', model: MODEL, createdAt: expect.any(String) },
      ],
    });
    // Nothing that names the owner or their conversation.
    for (const secret of [aliceId, aliceEmail, id]) expect(text).not.toContain(secret);
    // Not framed, not referred, not cached.
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('cache-control')).toBe('no-store');
    // Read-only: there is no way to write through the public route.
    expect((await anonymous().post(`/api/public/shares/${share.id}`, {})).status).toBe(404);
  });

  it('the snapshot does not change when the conversation goes on or is edited', async () => {
    const id = await conversation('Snapshot');
    const share = (await alice.post(`/api/conversations/${id}/shares`)).body.share;
    await say(alice, id, 'One more thing?', 'Gelato.');
    // An edit of the first question: a new branch becomes the active one.
    await say(alice, id, 'Where should I stay, cheaply?', 'A hostel.', { parentId: null });
    await alice.patch(`/api/conversations/${id}`, { title: 'Renamed' });

    const shown = (await anonymous().get(`/api/public/shares/${share.id}`)).body.share;
    expect(shown.title).toBe('Snapshot');
    expect(shown.messages.map((m: { content: string }) => m.content)).toEqual([
      'Where should I stay?',
      'Trastevere is lovely.',
      'And eat?',
      'Try cacio e pepe.',
    ]);
    // A new share is of the branch shown now.
    const later = (await alice.post(`/api/conversations/${id}/shares`)).body.share;
    const now = (await anonymous().get(`/api/public/shares/${later.id}`)).body.share;
    expect(now.messages.map((m: { content: string }) => m.content)).toEqual([
      'Where should I stay, cheaply?',
      'A hostel.',
    ]);
  });

  it('lists the owner’s shares; revoking one makes the link 404 at once', async () => {
    const id = await conversation('To revoke');
    const share = (await alice.post(`/api/conversations/${id}/shares`)).body.share;
    const listed = await alice.get('/api/shares');
    expect(listed.status).toBe(200);
    expect(listed.body.shares.map((s: { id: string }) => s.id)).toContain(share.id);
    expect((await bob.get('/api/shares')).body.shares).toEqual([]);

    // Someone else cannot revoke it.
    expect((await bob.request('DELETE', `/api/shares/${share.id}`)).status).toBe(404);
    expect((await anonymous().get(`/api/public/shares/${share.id}`)).status).toBe(200);

    expect((await alice.request('DELETE', `/api/shares/${share.id}`)).status).toBe(204);
    const gone = await fetch(`${stack.url}/api/public/shares/${share.id}`);
    expect(gone.status).toBe(404);
    expect((await gone.json()).error.code).toBe('not_found');
    // The 404 is as closed to framing and referrers as the page.
    expect(gone.headers.get('referrer-policy')).toBe('no-referrer');
    expect(gone.headers.get('x-frame-options')).toBe('DENY');
    expect((await alice.get('/api/shares')).body.shares.map((s: { id: string }) => s.id)).not.toContain(
      share.id,
    );
    expect((await alice.request('DELETE', `/api/shares/${share.id}`)).status).toBe(404);
    // Continuing a revoked share finds nothing either.
    expect((await bob.post(`/api/public/shares/${share.id}/continue`)).status).toBe(404);
  });

  it('deleting the conversation deletes its shares', async () => {
    const id = await conversation('Deleted later');
    const share = (await alice.post(`/api/conversations/${id}/shares`)).body.share;
    expect((await alice.request('DELETE', `/api/conversations/${id}`)).status).toBe(204);
    expect((await anonymous().get(`/api/public/shares/${share.id}`)).status).toBe(404);
  });

  it('"Continue this chat" copies into the viewer’s account only when asked', async () => {
    const id = await conversation('Continue me');
    const share = (await alice.post(`/api/conversations/${id}/shares`)).body.share;
    const bobsBefore = (await bob.get('/api/conversations')).body.conversations.length;

    // Opening the link, signed in or not, copies nothing.
    expect((await bob.get(`/api/public/shares/${share.id}`)).status).toBe(200);
    expect((await bob.get('/api/conversations')).body.conversations.length).toBe(bobsBefore);

    // Signed out, continuing asks to sign in.
    expect((await anonymous().post(`/api/public/shares/${share.id}/continue`)).status).toBe(401);

    const copied = await bob.post(`/api/public/shares/${share.id}/continue`);
    expect(copied.status).toBe(201);
    const copy = copied.body.conversation;
    expect(copy).toMatchObject({ title: 'Continue me', model: MODEL });
    expect(copy.id).not.toBe(id);
    const detail = (await bob.get(`/api/conversations/${copy.id}`)).body;
    expect(detail.messages.map((m: { role: string; content: string }) => `${m.role}: ${m.content}`)).toEqual([
      'user: Where should I stay?',
      'assistant: Trastevere is lovely.',
      'user: And eat?',
      'assistant: Try cacio e pepe.',
    ]);
    expect((await bob.get('/api/conversations')).body.conversations[0].id).toBe(copy.id);

    // Bob's reply goes into Bob's copy; Alice's conversation and the share do not change.
    await say(bob, copy.id, 'And to drink?', 'Espresso.');
    expect((await bob.get(`/api/conversations/${copy.id}`)).body.messages).toHaveLength(6);
    expect((await alice.get(`/api/conversations/${id}`)).body.messages).toHaveLength(4);
    expect((await anonymous().get(`/api/public/shares/${share.id}`)).body.share.messages).toHaveLength(4);
    expect((await bob.get(`/api/conversations/${id}`)).status).toBe(404);
  });

  it('refuses what cannot be shared', async () => {
    const empty = await alice.newConversation('Empty');
    const res = await alice.post(`/api/conversations/${empty}/shares`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(
      (await alice.get('/api/shares')).body.shares.map((s: { conversationId: string }) => s.conversationId),
    ).not.toContain(empty);

    const alices = await conversation('Not Bob’s');
    expect((await bob.post(`/api/conversations/${alices}/shares`)).status).toBe(404);
    for (const bad of ['nope', 'x'.repeat(22), '%00', 'A'.repeat(200)]) {
      expect((await anonymous().get(`/api/public/shares/${bad}`)).status, bad).toBe(404);
    }
    // Sharing needs the session and its CSRF token.
    expect((await anonymous().post(`/api/conversations/${alices}/shares`)).status).toBe(401);
    expect(
      (await alice.request('POST', `/api/conversations/${alices}/shares`, undefined, { csrf: false })).status,
    ).toBe(403);
  });

  it('limits how many shared chats one client opens per minute, with Retry-After and the page’s headers', async () => {
    // Readers told apart by the address the platform in front names, as Front Door does.
    const fronted = await startStack({
      env: {
        SIGNUP_BONUS_CREDITS: '10000000',
        CLIENT_IP_HEADER: 'x-azure-clientip',
        MEMORY_ENABLED: 'false',
      },
    });
    try {
      const owner = new ApiClient(fronted.url);
      await owner.register();
      const id = (await owner.post('/api/conversations', { title: 'Popular' })).body.conversation
        .id as string;
      fronted.upstream.script({ text: 'Hello.' });
      await owner.stream(id, { content: 'Hi', model: MODEL });
      const share = (await owner.post(`/api/conversations/${id}/shares`)).body.share as { id: string };
      const open = (from: string) =>
        fetch(`${fronted.url}/api/public/shares/${share.id}`, { headers: { 'x-azure-clientip': from } });
      const statuses: number[] = [];
      for (let i = 0; i < 120; i++) statuses.push((await open('198.51.100.7')).status);
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
      const refused = await open('198.51.100.7');
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(refused.headers.get('referrer-policy')).toBe('no-referrer');
      expect(refused.headers.get('x-frame-options')).toBe('DENY');
      // Another reader is not held back by that one.
      expect((await open('198.51.100.8')).status).toBe(200);
    } finally {
      await fronted.close();
    }
  });
});
