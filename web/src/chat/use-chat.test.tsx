import { act, cleanup, render } from '@testing-library/preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StreamEvent } from '../../../shared/contracts/chat-stream';
import type { Conversation, Message } from '../../../shared/contracts/conversations';
import { api, ApiError, type StreamEnd } from '../api';
import { readDraft } from './drafts';
import { useChat, type Chat, type ChatOptions } from './use-chat';

const conversation = (id: string, extra: Partial<Conversation> = {}): Conversation => ({
  id,
  title: null,
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
  createdAt: '2025-01-01T00:00:00Z',
  ...m,
});

type Emit = (event: StreamEvent) => void;

/** A reply stream the test plays event by event, ended when the test says so. */
function controlledStream() {
  let emit: Emit = () => undefined;
  let finish: (end: StreamEnd) => void = () => undefined;
  const impl = (_c: string, _b: unknown, onEvent: Emit) => {
    emit = onEvent;
    return new Promise<StreamEnd>((resolve) => (finish = resolve));
  };
  return {
    impl,
    emit: (e: StreamEvent) => {
      void act(() => emit(e));
    },
    end: async (end: StreamEnd) => {
      await act(async () => {
        finish(end);
        await Promise.resolve();
      });
    },
  };
}

const start = (messageId: string, maxTokens = 4096, userMessageId = `u-${messageId}`): StreamEvent => ({
  event: 'start',
  data: { userMessageId, messageId, model: 'x/free', maxTokens },
});
const delta = (text: string): StreamEvent => ({ event: 'delta', data: { text } });
const done = (reason?: 'balance' | 'length' | 'time_limit'): StreamEvent & { event: 'done' } => ({
  event: 'done',
  data: { status: 'complete', ...(reason ? { reason } : {}) },
});

let chat: Chat;
function Probe(props: ChatOptions) {
  chat = useChat(props);
  return null;
}

const callbacks = () => ({
  onConversationChange: vi.fn(),
  onConversationCreated: vi.fn(),
  onReplyFinished: vi.fn(),
  onQueuedReturned: vi.fn(),
});

function mount(options: Partial<ChatOptions> = {}) {
  const cb = callbacks();
  const props: ChatOptions = { conversationId: null, model: 'x/free', ...cb, ...options };
  const view = render(<Probe {...props} />);
  return {
    ...cb,
    rerender: (more: Partial<ChatOptions>) => view.rerender(<Probe {...props} {...more} />),
  };
}

/** Lets promise callbacks and one animation frame run. */
const settle = () =>
  act(async () => {
    await new Promise((r) => setTimeout(r, 30));
  });

beforeEach(() => {
  sessionStorage.clear();
  vi.spyOn(api, 'getConversation').mockImplementation(async (id) => ({
    conversation: conversation(id),
    messages: chat?.messages ?? [],
  }));
});

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

describe('useChat: a new chat', () => {
  it('refused before the stream (402): nothing in the sidebar, the text comes back, the URL has the conversation', async () => {
    vi.spyOn(api, 'createConversation').mockResolvedValue({ conversation: conversation('c1') });
    vi.spyOn(api, 'streamReply').mockRejectedValue(
      new ApiError(402, 'insufficient_credits', 'This reply needs 900 credits; you have 0.'),
    );
    const cb = mount();
    let sent: boolean | undefined;
    await act(async () => {
      sent = await chat.send('Expensive question');
    });
    expect(sent).toBe(false);
    expect(cb.onConversationCreated).toHaveBeenCalledWith(expect.objectContaining({ id: 'c1' }));
    expect(cb.onConversationChange).not.toHaveBeenCalled();
    expect(chat.messages).toEqual([]);
    expect(chat.problem).toMatchObject({ code: 'insufficient_credits', kind: 'send' });
    expect(chat.phase).toBe('idle');
  });

  it('puts the conversation in the sidebar when its reply starts', async () => {
    vi.spyOn(api, 'createConversation').mockResolvedValue({ conversation: conversation('c1') });
    const stream = controlledStream();
    vi.spyOn(api, 'streamReply').mockImplementation(stream.impl);
    const cb = mount();
    await act(async () => void chat.send('Hello'));
    expect(cb.onConversationChange).not.toHaveBeenCalled();
    stream.emit(start('a1'));
    expect(cb.onConversationChange).toHaveBeenCalledWith(expect.objectContaining({ id: 'c1' }));
    expect(chat.messages.map((m) => m.id)).toEqual(['u-a1', 'a1']);
  });

  it('a message sent before the models have loaded goes out once they have', async () => {
    vi.spyOn(api, 'createConversation').mockResolvedValue({ conversation: conversation('c1') });
    const stream = controlledStream();
    const streamReply = vi.spyOn(api, 'streamReply').mockImplementation(stream.impl);
    const view = mount({ model: null });
    let sent: boolean | undefined;
    await act(async () => {
      sent = await chat.send('Early question');
    });
    expect(sent).toBe(true);
    expect(streamReply).not.toHaveBeenCalled();
    expect(chat.queued.map((q) => q.content)).toEqual(['Early question']);
    view.rerender({ model: 'x/free' });
    await settle();
    expect(streamReply).toHaveBeenCalledWith(
      'c1',
      { content: 'Early question', model: 'x/free' },
      expect.any(Function),
      expect.any(AbortSignal),
    );
    expect(chat.queued).toEqual([]);
  });
});

describe('useChat: replies', () => {
  const opened = (messages: Message[]) => {
    vi.mocked(api.getConversation).mockResolvedValue({ conversation: conversation('c1'), messages });
  };

  it('queues a message sent while a reply streams and sends it when the reply ends', async () => {
    opened([]);
    const first = controlledStream();
    const second = controlledStream();
    const streamReply = vi
      .spyOn(api, 'streamReply')
      .mockImplementationOnce(first.impl)
      .mockImplementationOnce(second.impl);
    mount({ conversationId: 'c1' });
    await settle();
    await act(async () => void chat.send('First'));
    first.emit(start('a1'));
    await act(async () => {
      expect(await chat.send('Second, written meanwhile')).toBe(true);
    });
    expect(streamReply).toHaveBeenCalledTimes(1);
    expect(chat.queued.map((q) => q.content)).toEqual(['Second, written meanwhile']);
    first.emit(delta('Done.'));
    first.emit(done());
    await first.end(done());
    await settle();
    expect(streamReply).toHaveBeenCalledTimes(2);
    expect(streamReply.mock.calls[1]?.[1]).toMatchObject({ content: 'Second, written meanwhile' });
    expect(chat.queued).toEqual([]);
  });

  it('sends the reply length asked for, and keeps what was asked when the balance capped it', async () => {
    opened([]);
    const stream = controlledStream();
    const streamReply = vi.spyOn(api, 'streamReply').mockImplementation(stream.impl);
    mount({ conversationId: 'c1', maxTokens: 8000 });
    await settle();
    await act(async () => void chat.send('Long essay please'));
    expect(streamReply.mock.calls[0]?.[1]).toEqual({
      content: 'Long essay please',
      model: 'x/free',
      maxTokens: 8000,
    });
    stream.emit(start('a1', 1200));
    stream.emit(done('balance'));
    const reply = chat.messages.find((m) => m.id === 'a1');
    expect(reply).toMatchObject({ maxTokens: 1200, requestedMaxTokens: 8000, finishReason: 'balance' });
  });

  it('retries a failed reply as a new version of it, not a second copy of the question', async () => {
    opened([
      message({ id: 'u1', role: 'user', content: 'Question' }),
      message({
        id: 'a1',
        role: 'assistant',
        parentId: 'u1',
        status: 'failed',
        content: 'Part',
        error: { code: 'upstream_failed', message: 'The model provider failed. Try again.' },
      }),
    ]);
    const stream = controlledStream();
    const regenerate = vi
      .spyOn(api, 'regenerate')
      .mockImplementation((c, _m, b, onEvent) => stream.impl(c, b, onEvent));
    const streamReply = vi.spyOn(api, 'streamReply');
    mount({ conversationId: 'c1' });
    await settle();
    void act(() => chat.retry('a1'));
    await settle();
    expect(streamReply).not.toHaveBeenCalled();
    expect(regenerate).toHaveBeenCalledWith(
      'c1',
      'a1',
      { model: 'x/free' },
      expect.any(Function),
      expect.any(AbortSignal),
    );
    stream.emit(start('a2', 4096, 'u1'));
    expect(chat.messages.map((m) => m.id)).toEqual(['u1', 'a2']);
    expect(chat.messages[1]?.siblingIds).toEqual(['a1', 'a2']);
  });

  it('edits a message: sends it with that message’s parent, as a new branch', async () => {
    opened([
      message({ id: 'u1', role: 'user', content: 'First' }),
      message({ id: 'a1', role: 'assistant', parentId: 'u1', content: 'One' }),
      message({ id: 'u2', role: 'user', parentId: 'a1', content: 'Second' }),
      message({ id: 'a2', role: 'assistant', parentId: 'u2', content: 'Two' }),
    ]);
    const stream = controlledStream();
    const streamReply = vi.spyOn(api, 'streamReply').mockImplementation(stream.impl);
    mount({ conversationId: 'c1' });
    await settle();
    await act(async () => void chat.edit('u2', 'Second, better'));
    expect(streamReply.mock.calls[0]?.[1]).toEqual({
      content: 'Second, better',
      model: 'x/free',
      parentId: 'a1',
    });
    stream.emit(start('a3', 4096, 'u3'));
    expect(chat.messages.map((m) => m.id)).toEqual(['u1', 'a1', 'u3', 'a3']);
    expect(chat.messages[2]?.siblingIds).toEqual(['u2', 'u3']);
  });

  it('switches versions with PATCH activeMessageId, then shows the branch read again', async () => {
    opened([
      message({ id: 'u1', role: 'user', content: 'Q' }),
      message({ id: 'a2', role: 'assistant', parentId: 'u1', siblingIds: ['a1', 'a2'], content: 'New' }),
    ]);
    const update = vi
      .spyOn(api, 'updateConversation')
      .mockResolvedValue({ conversation: conversation('c1', { activeMessageId: 'a1' }) });
    mount({ conversationId: 'c1' });
    await settle();
    vi.mocked(api.getConversation).mockResolvedValue({
      conversation: conversation('c1', { activeMessageId: 'a1' }),
      messages: [
        message({ id: 'u1', role: 'user', content: 'Q' }),
        message({ id: 'a1', role: 'assistant', parentId: 'u1', siblingIds: ['a1', 'a2'], content: 'Old' }),
      ],
    });
    void act(() => chat.switchVersion('a1'));
    await settle();
    expect(update).toHaveBeenCalledWith('c1', { activeMessageId: 'a1' });
    expect(chat.messages.map((m) => m.content)).toEqual(['Q', 'Old']);
  });

  it('after a reload mid-reply, shows the text so far and resumes from its length', async () => {
    opened([
      message({ id: 'u1', role: 'user', content: 'Tell me' }),
      message({ id: 'a1', role: 'assistant', parentId: 'u1', status: 'streaming', content: 'Hello wor' }),
    ]);
    let emit: Emit = () => undefined;
    let finish: (end: StreamEnd) => void = () => undefined;
    const resume = vi.spyOn(api, 'resumeReply').mockImplementation((_c, _m, _from, onEvent) => {
      emit = onEvent;
      return new Promise((resolve) => (finish = resolve));
    });
    mount({ conversationId: 'c1' });
    await settle();
    expect(resume).toHaveBeenCalledWith('c1', 'a1', 9, expect.any(Function), expect.any(AbortSignal));
    expect(chat.messages[1]?.content).toBe('Hello wor');
    expect(chat.phase).not.toBe('idle');
    void act(() => emit(start('a1', 4096, 'u1')));
    void act(() => emit(delta('ld')));
    await settle();
    expect(chat.messages[1]?.content).toBe('Hello world');
    void act(() => emit(done()));
    await act(async () => finish(done()));
    await settle();
    expect(chat.phase).toBe('idle');
    expect(chat.messages[1]?.status).toBe('complete');
  });

  it('opened right after its first reply, a conversation without a title picks it up when it is made', async () => {
    const recent = new Date().toISOString();
    const messages = [
      message({ id: 'u1', role: 'user', content: 'Hi' }),
      message({ id: 'a1', role: 'assistant', parentId: 'u1', content: 'Hello' }),
    ];
    vi.mocked(api.getConversation)
      .mockResolvedValueOnce({ conversation: conversation('c1', { updatedAt: recent }), messages })
      .mockResolvedValue({
        conversation: conversation('c1', { updatedAt: recent, title: 'Greetings' }),
        messages,
      });
    const cb = mount({ conversationId: 'c1' });
    await settle();
    expect(cb.onConversationChange).not.toHaveBeenCalled();
    await act(async () => {
      await new Promise((r) => setTimeout(r, 1100));
    });
    expect(cb.onConversationChange).toHaveBeenCalledWith(expect.objectContaining({ title: 'Greetings' }));
    expect(chat.conversation?.title).toBe('Greetings');
  });

  it('falls back to reading the conversation when the server cannot resume', async () => {
    opened([
      message({ id: 'u1', role: 'user', content: 'Tell me' }),
      message({ id: 'a1', role: 'assistant', parentId: 'u1', status: 'streaming', content: 'Hel' }),
    ]);
    vi.spyOn(api, 'resumeReply').mockRejectedValue(new ApiError(404, 'not_found', 'Not found.'));
    mount({ conversationId: 'c1' });
    await settle();
    expect(chat.phase).toBe('following');
  });

  it('a queued message that cannot go out with the conversation left returns to that conversation’s draft', async () => {
    opened([]);
    const stream = controlledStream();
    vi.spyOn(api, 'streamReply').mockImplementation(stream.impl);
    const view = mount({ conversationId: 'c1' });
    await settle();
    await act(async () => void chat.send('First'));
    await act(async () => void chat.send('Waiting'));
    view.rerender({ conversationId: 'c2' });
    await settle();
    expect(readDraft('c1')).toBe('Waiting');
    expect(chat.queued).toEqual([]);
  });
});
