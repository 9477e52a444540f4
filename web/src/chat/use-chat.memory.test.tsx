import { act, cleanup, render } from '@testing-library/preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StreamEvent } from '../../../shared/contracts/chat-stream';
import type { Conversation, Message } from '../../../shared/contracts/conversations';
import { api, type StreamEnd } from '../api';
import { useChat, type Chat, type ChatOptions } from './use-chat';

const conversation = (id: string, extra: Partial<Conversation> = {}): Conversation => ({
  id,
  title: 'Chat',
  model: 'x/free',
  systemPrompt: null,
  temperature: null,
  maxTokens: null,
  pinned: false,
  incognito: false,
  activeMessageId: null,
  createdAt: '2025-01-01T00:00:00Z',
  updatedAt: '2025-01-01T00:00:00Z',
  ...extra,
});

const message = (m: Partial<Message> & Pick<Message, 'id' | 'role'>): Message => ({
  parentId: null,
  siblingIds: [m.id],
  content: '',
  reasoning: null,
  model: 'x/free',
  status: 'complete',
  error: null,
  imageIds: [],
  citations: [],
  usage: null,
  feedback: null,
  maxTokens: null,
  finishReason: null,
  memoryUpdated: false,
  createdAt: '2025-01-01T00:00:00Z',
  ...m,
});

let chat: Chat;
function Probe(props: ChatOptions) {
  chat = useChat(props);
  return null;
}

function mount(options: Partial<ChatOptions>) {
  render(
    <Probe
      conversationId={null}
      model="x/free"
      onConversationChange={vi.fn()}
      onConversationCreated={vi.fn()}
      onReplyFinished={vi.fn()}
      {...options}
    />,
  );
}

/** A reply that streams at once: start, one delta, done. */
function replyStream() {
  return vi
    .spyOn(api, 'streamReply')
    .mockImplementation(async (_c: string, _b: unknown, onEvent: (e: StreamEvent) => void) => {
      onEvent({
        event: 'start',
        data: { userMessageId: 'q1', messageId: 'a1', model: 'x/free', maxTokens: 4096 },
      });
      onEvent({ event: 'delta', data: { text: 'Noted.' } });
      const end: StreamEnd = { event: 'done', data: { status: 'complete' } };
      onEvent(end);
      return end;
    });
}

/** The server's copy of the exchange; the extractor marks the reply some time after it ends. */
let marked = false;
const serverMessages = () => [
  message({ id: 'q1', role: 'user', content: "I'm vegetarian" }),
  message({ id: 'a1', role: 'assistant', parentId: 'q1', content: 'Noted.', memoryUpdated: marked }),
];

const advance = (ms: number) =>
  act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });

beforeEach(() => {
  marked = false;
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('useChat: the "Memory updated" mark', () => {
  it('reads the conversation again a few seconds after the reply, and shows the mark the extractor set', async () => {
    vi.spyOn(api, 'createConversation').mockResolvedValue({ conversation: conversation('c1') });
    replyStream();
    const get = vi
      .spyOn(api, 'getConversation')
      .mockImplementation(async (id) => ({ conversation: conversation(id), messages: serverMessages() }));
    mount({ memory: true });
    await act(async () => void (await chat.send("I'm vegetarian")));
    await advance(100);
    expect(chat.messages.find((m) => m.id === 'a1')?.memoryUpdated).toBe(false);
    marked = true;
    await advance(3000);
    expect(chat.messages.find((m) => m.id === 'a1')?.memoryUpdated).toBe(true);
    const reads = get.mock.calls.length;
    // Once it is there, nothing more is read for it.
    await advance(10_000);
    expect(get.mock.calls.length).toBe(reads);
  });

  it('an incognito new chat is created as one and never looked at again for memory', async () => {
    const create = vi
      .spyOn(api, 'createConversation')
      .mockResolvedValue({ conversation: conversation('c1', { incognito: true }) });
    replyStream();
    const get = vi
      .spyOn(api, 'getConversation')
      .mockImplementation(async (id) => ({ conversation: conversation(id), messages: serverMessages() }));
    mount({ memory: true, incognito: true });
    await act(async () => void (await chat.send("I'm vegetarian")));
    expect(create).toHaveBeenCalledWith({ model: 'x/free', incognito: true });
    await advance(100);
    const reads = get.mock.calls.length;
    await advance(15_000);
    expect(get.mock.calls.length).toBe(reads);
  });

  it('with memory off, no extra reads', async () => {
    const create = vi
      .spyOn(api, 'createConversation')
      .mockResolvedValue({ conversation: conversation('c1') });
    replyStream();
    const get = vi
      .spyOn(api, 'getConversation')
      .mockImplementation(async (id) => ({ conversation: conversation(id), messages: serverMessages() }));
    mount({ memory: false });
    await act(async () => void (await chat.send('Hello')));
    expect(create).toHaveBeenCalledWith({ model: 'x/free' });
    await advance(100);
    const reads = get.mock.calls.length;
    await advance(15_000);
    expect(get.mock.calls.length).toBe(reads);
  });
});
