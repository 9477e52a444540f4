import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../helpers/client';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let alice: ApiClient;
let bob: ApiClient;
beforeAll(async () => {
  stack = await startStack({ env: { SIGNUP_BONUS_CREDITS: '10000000' } });
  alice = new ApiClient(stack.url);
  bob = new ApiClient(stack.url);
  await alice.register();
  await bob.register();
});
afterAll(() => stack.close());

const MODEL = 'openai/gpt-4o-mini';
type Preset = {
  id: string;
  name: string;
  model: string;
  systemPrompt: string | null;
  temperature: number | null;
  maxTokens: number | null;
};

describe('presets', () => {
  it('a new account has the starter presets; a deleted one stays deleted', async () => {
    const carol = new ApiClient(stack.url);
    await carol.register();
    const first = await carol.get('/api/presets');
    expect(first.status).toBe(200);
    const names = first.body.presets.map((p: Preset) => p.name);
    expect(names).toEqual(['Coding', 'Writing', 'Quick answers']);
    for (const p of first.body.presets as Preset[]) {
      expect(p.model).toMatch(/\S/);
      expect(p.systemPrompt).toMatch(/\S/);
    }
    // Asking again (or twice at once) does not give them twice.
    const [again, racing] = await Promise.all([carol.get('/api/presets'), carol.get('/api/presets')]);
    expect(again.body.presets).toHaveLength(3);
    expect(racing.body.presets).toHaveLength(3);

    const coding = first.body.presets[0] as Preset;
    expect((await carol.request('DELETE', `/api/presets/${coding.id}`)).status).toBe(204);
    const after = await carol.get('/api/presets');
    expect(after.body.presets.map((p: Preset) => p.name)).toEqual(['Writing', 'Quick answers']);
  });

  it('creates, changes, clears a setting and deletes', async () => {
    const created = await alice.post('/api/presets', {
      name: '  Pirate ',
      model: MODEL,
      systemPrompt: 'Talk like a pirate.',
      temperature: 1.2,
      maxTokens: 300,
    });
    expect(created.status).toBe(201);
    const preset = created.body.preset as Preset & { createdAt: string };
    expect(preset).toMatchObject({
      name: 'Pirate',
      model: MODEL,
      systemPrompt: 'Talk like a pirate.',
      temperature: 1.2,
      maxTokens: 300,
    });
    expect(Date.parse(preset.createdAt)).not.toBeNaN();

    const changed = await alice.patch(`/api/presets/${preset.id}`, {
      name: 'Pirate captain',
      systemPrompt: null,
    });
    expect(changed.status).toBe(200);
    expect(changed.body.preset).toMatchObject({
      name: 'Pirate captain',
      systemPrompt: null,
      temperature: 1.2,
      maxTokens: 300,
    });
    const listed = (await alice.get('/api/presets')).body.presets as Preset[];
    expect(listed.find((p) => p.id === preset.id)).toMatchObject({
      name: 'Pirate captain',
      systemPrompt: null,
    });

    expect((await alice.request('DELETE', `/api/presets/${preset.id}`)).status).toBe(204);
    expect((await alice.request('DELETE', `/api/presets/${preset.id}`)).status).toBe(404);
    expect((await alice.patch(`/api/presets/${preset.id}`, { name: 'x' })).status).toBe(404);
  });

  it('refuses bad presets with a 400 naming the field, and stores nothing', async () => {
    const before = (await alice.get('/api/presets')).body.presets.length;
    for (const body of [
      { name: '', model: MODEL },
      { name: 'x' },
      { name: 'x', model: MODEL, temperature: 3 },
      { name: 'x', model: MODEL, maxTokens: 0 },
      { name: 'x'.repeat(81), model: MODEL },
      { name: 'x', model: MODEL, owner: 'someone' },
    ]) {
      const res = await alice.post('/api/presets', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
    expect((await alice.patch('/api/presets/nope', {})).status).toBe(400);
    expect((await alice.get('/api/presets')).body.presets.length).toBe(before);
  });

  it("another user's preset is not found: not changed, not deleted, not used for a chat", async () => {
    const mine = (await alice.post('/api/presets', { name: 'Mine', model: MODEL, systemPrompt: 'secret' }))
      .body.preset as Preset;
    expect((await bob.patch(`/api/presets/${mine.id}`, { name: 'Theirs' })).status).toBe(404);
    expect((await bob.request('DELETE', `/api/presets/${mine.id}`)).status).toBe(404);
    const used = await bob.post('/api/conversations', { presetId: mine.id });
    expect(used.status).toBe(404);
    expect(used.body.error.code).toBe('not_found');
    expect((await bob.get('/api/presets')).body.presets.map((p: Preset) => p.id)).not.toContain(mine.id);
    const still = (await alice.get('/api/presets')).body.presets as Preset[];
    expect(still.find((p) => p.id === mine.id)?.name).toBe('Mine');
  });

  it('a new chat from a preset copies its settings, and a reply uses them', async () => {
    const preset = (
      await alice.post('/api/presets', {
        name: 'Terse',
        model: MODEL,
        systemPrompt: 'Answer in exactly one word.',
        temperature: 0.4,
        maxTokens: 321,
      })
    ).body.preset as Preset;
    const created = await alice.post('/api/conversations', { presetId: preset.id });
    expect(created.status).toBe(201);
    const conversation = created.body.conversation;
    expect(conversation).toMatchObject({
      model: MODEL,
      systemPrompt: 'Answer in exactly one word.',
      temperature: 0.4,
      maxTokens: 321,
    });

    // Fields in the body win over the preset's.
    const overridden = await alice.post('/api/conversations', {
      presetId: preset.id,
      temperature: 1.5,
      maxTokens: null,
    });
    expect(overridden.body.conversation).toMatchObject({
      model: MODEL,
      temperature: 1.5,
      systemPrompt: 'Answer in exactly one word.',
    });

    // Changing the preset later does not reach chats made from it.
    await alice.patch(`/api/presets/${preset.id}`, { systemPrompt: 'Changed.' });
    expect((await alice.get(`/api/conversations/${conversation.id}`)).body.conversation.systemPrompt).toBe(
      'Answer in exactly one word.',
    );

    stack.upstream.reset();
    stack.upstream.script({ text: 'Ahoy' });
    const reply = await alice.stream(conversation.id, { content: 'Greet me', model: MODEL });
    expect(reply.error ?? reply.events.at(-1)?.event).toBe('done');
    const sent = stack.upstream.requests.find((r) => r.path.endsWith('/chat/completions'))!.body as {
      messages: { role: string; content: string }[];
      temperature?: number;
      max_tokens?: number;
      max_completion_tokens?: number;
    };
    expect(sent.messages[0]).toMatchObject({ role: 'system' });
    expect(sent.messages[0]!.content).toContain('Answer in exactly one word.');
    expect(sent.temperature).toBe(0.4);
    expect(sent.max_tokens ?? sent.max_completion_tokens).toBe(321);
    await stack.host.queues.waitIdle(10_000);
  });
});

describe('pinned conversations', () => {
  it('are listed first, newest first among themselves, and paging keeps that order without repeats', async () => {
    const dave = new ApiClient(stack.url);
    await dave.register();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(await dave.newConversation(`Chat ${i}`));
      await new Promise((r) => setTimeout(r, 5));
    }
    // Pin the two oldest: pinning is not an activity, yet they go to the top.
    for (const id of [ids[0]!, ids[1]!]) {
      const res = await dave.patch(`/api/conversations/${id}`, { pinned: true });
      expect(res.body.conversation.pinned).toBe(true);
    }
    const expected = [ids[1], ids[0], ids[4], ids[3], ids[2]];
    expect(
      (await dave.get('/api/conversations')).body.conversations.map((c: { id: string }) => c.id),
    ).toEqual(expected);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { conversations: { id: string }[]; nextCursor: string | null } } = await dave.get(
        `/api/conversations?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.body.conversations.map((c) => c.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(expected);

    expect(
      (await dave.get('/api/conversations?pinned=true')).body.conversations.map((c: { id: string }) => c.id),
    ).toEqual([ids[1], ids[0]]);
    await dave.patch(`/api/conversations/${ids[1]}`, { pinned: false });
    expect(
      (await dave.get('/api/conversations')).body.conversations.map((c: { id: string }) => c.id),
    ).toEqual([ids[0], ids[4], ids[3], ids[2], ids[1]]);
  });
});
