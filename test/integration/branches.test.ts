import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../shared/contracts/chat-stream';
import type { Message } from '../../shared/contracts/conversations';
import { ApiClient, deltas } from '../helpers/client';
import { startStack, type Stack } from '../helpers/stack';

/** Edit, regenerate and branch switching: the prompt sent upstream holds only the active branch. */
let stack: Stack;
let c: ApiClient;
const MODEL = 'openai/gpt-4o-mini';

beforeAll(async () => {
  stack = await startStack({ env: { SIGNUP_BONUS_CREDITS: '100000000' } });
  c = new ApiClient(stack.url);
  await c.register();
});
afterAll(() => stack.close());
beforeEach(async () => {
  await stack.host.queues.waitIdle(10_000);
  stack.upstream.reset();
});

const branch = async (id: string) => (await c.get(`/api/conversations/${id}`)).body.messages as Message[];
const start = (events: StreamEvent[]) =>
  events[0]!.data as { userMessageId: string; messageId: string; parentId?: string | null };
/** The conversation turns of the last chat request upstream (the system prompt left out). */
function lastPrompt(): string[] {
  // Replies only: memory extraction (structured output) runs after each reply and may come last.
  const chats = stack.upstream.requests.filter(
    (r) => r.path.endsWith('/chat/completions') && r.body.response_format === undefined,
  );
  const body = chats.at(-1)!.body as { messages: { role: string; content: string }[] };
  return body.messages.filter((m) => m.role !== 'system').map((m) => `${m.role}: ${m.content}`);
}

async function say(id: string, content: string, extra: Record<string, unknown> = {}) {
  stack.upstream.script({ text: `re ${content}` });
  const res = await c.stream(id, { content, model: MODEL, ...extra });
  expect(res.events.at(-1)?.event).toBe('done');
  await stack.host.queues.waitIdle(10_000);
  stack.upstream.requests.length = 0;
  return res;
}

describe('message tree', () => {
  it('editing a message adds a branch; the prompt and the conversation show only that branch', async () => {
    const id = await c.newConversation();
    const first = await say(id, 'Q1');
    const second = await say(id, 'Q2');
    const a1 = start(first.events).messageId;
    const q2 = start(second.events).userMessageId;

    // Edit Q2: send from where Q2 hung (after A1), as a new branch.
    stack.upstream.script({ text: 're Q2 edited' });
    const edited = await c.stream(id, { content: 'Q2 edited', model: MODEL, parentId: a1 });
    expect(deltas(edited.events)).toBe('re Q2 edited');
    expect(lastPrompt()).toEqual(['user: Q1', 'assistant: re Q1', 'user: Q2 edited']);

    const shown = await branch(id);
    expect(shown.map((m) => m.content)).toEqual(['Q1', 're Q1', 'Q2 edited', 're Q2 edited']);
    expect(shown[2]!.siblingIds).toEqual([q2, start(edited.events).userMessageId]);
    expect(shown[2]!.parentId).toBe(a1);
    expect(shown[0]!.siblingIds).toHaveLength(1);
  });

  it('regenerating a reply adds a sibling under the same question and makes it active', async () => {
    const id = await c.newConversation();
    await say(id, 'Q1');
    const second = await say(id, 'Q2');
    const { userMessageId: q2, messageId: a2 } = start(second.events);

    stack.upstream.script({ text: 'another take' });
    const again = await c.regenerate(id, a2);
    expect(again.status).toBe(200);
    expect(again.events.at(-1)).toEqual({ event: 'done', data: { status: 'complete' } });
    const a2b = start(again.events).messageId;
    expect(start(again.events).userMessageId).toBe(q2);
    // The question is asked again as it was, after the same history; no question is duplicated.
    expect(lastPrompt()).toEqual(['user: Q1', 'assistant: re Q1', 'user: Q2']);

    const shown = await branch(id);
    expect(shown.map((m) => m.content)).toEqual(['Q1', 're Q1', 'Q2', 'another take']);
    expect(shown[3]!.siblingIds).toEqual([a2, a2b]);
    expect(shown.filter((m) => m.role === 'user')).toHaveLength(2);
  });

  it('switching the branch changes what is shown and what the next message continues', async () => {
    const id = await c.newConversation();
    const first = await say(id, 'Q1');
    const second = await say(id, 'Q2');
    const a1 = start(first.events).messageId;
    const q2 = start(second.events).userMessageId;
    await say(id, 'Q2 other', { parentId: a1 });

    const patched = await c.patch(`/api/conversations/${id}`, { activeMessageId: q2 });
    expect(patched.status).toBe(200);
    // Down to the newest message under Q2: its reply.
    expect(patched.body.conversation.activeMessageId).toBe(start(second.events).messageId);
    expect((await branch(id)).map((m) => m.content)).toEqual(['Q1', 're Q1', 'Q2', 're Q2']);

    stack.upstream.script({ text: 're Q3' });
    await c.stream(id, { content: 'Q3', model: MODEL });
    expect(lastPrompt()).toEqual([
      'user: Q1',
      'assistant: re Q1',
      'user: Q2',
      'assistant: re Q2',
      'user: Q3',
    ]);
  });

  it('a parent that is a question, or from another conversation, is refused and changes nothing', async () => {
    const id = await c.newConversation();
    const first = await say(id, 'Q1');
    const other = await c.newConversation();
    const before = await branch(id);

    const onQuestion = await c.stream(id, {
      content: 'x',
      model: MODEL,
      parentId: start(first.events).userMessageId,
    });
    expect(onQuestion.status).toBe(400);
    expect(onQuestion.error.error.message).toMatch(/parentId of the reply before it/);
    const elsewhere = await c.stream(other, {
      content: 'x',
      model: MODEL,
      parentId: start(first.events).messageId,
    });
    expect(elsewhere.status).toBe(404);
    const switchAway = await c.patch(`/api/conversations/${other}`, {
      activeMessageId: start(first.events).messageId,
    });
    expect(switchAway.status).toBe(404);
    expect(await branch(id)).toEqual(before);
    expect(await branch(other)).toEqual([]);
    expect(stack.upstream.requests).toHaveLength(0);
  });

  it('a regenerate refused before the stream leaves no sibling and the branch as it was', async () => {
    const id = await c.newConversation();
    const first = await say(id, 'Q1');
    const before = await branch(id);
    stack.upstream.script({ status: 503, retryAfter: 2 });
    const refused = await c.regenerate(id, start(first.events).messageId);
    expect(refused.status).toBe(503);
    expect(await branch(id)).toEqual(before);
    const conv = (await c.get(`/api/conversations/${id}`)).body.conversation as { activeMessageId: string };
    expect(conv.activeMessageId).toBe(start(first.events).messageId);
  });
});
