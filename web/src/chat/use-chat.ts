import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { StreamEvent } from '../../../shared/contracts/chat-stream';
import type { Conversation, Message } from '../../../shared/contracts/conversations';
import { api, isApiError, type StreamEnd } from '../api';
import { restoreIntoDraft } from './drafts';

/**
 * idle: nothing running. sending: the request is out, no reply yet. streaming: events arrive on
 * this page's own stream. following: a reply runs server-side without a stream of this page's
 * own (after a reload, a dropped connection): it is resumed through the resume endpoint, or read
 * by polling the conversation when that is not possible.
 */
export type ChatPhase = 'idle' | 'sending' | 'streaming' | 'following';

/** Something the user asked for did not happen (a message refused before any reply began, ...). */
export interface SendProblem {
  code: string;
  message: string;
  retryAfterSeconds?: number;
  /** 'send' (the default): a message was refused and nothing was stored. 'action': anything else. */
  kind?: 'send' | 'action';
}

/** A message as this page shows it. */
export type ChatMessage = Message & {
  /** The reply length this page asked for, kept when the server allowed less (`start.maxTokens`). */
  requestedMaxTokens?: number;
};

/** A message written while a reply was running (or before the models loaded): it goes out next. */
export interface QueuedMessage {
  id: number;
  content: string;
  /** Search only these documents for this message (`sendMessageBody.documentIds`). */
  documentIds?: string[];
  imageIds?: string[];
}

export interface SendOptions {
  /** Search only these documents for this message; none given: all the user's ready documents. */
  documentIds?: string[];
  /** Uploaded images the message carries (`sendMessageBody.imageIds`). */
  imageIds?: string[];
}

export interface Chat {
  conversation: Conversation | null;
  messages: ChatMessage[];
  loading: boolean;
  loadError: string | null;
  phase: ChatPhase;
  problem: SendProblem | null;
  queued: QueuedMessage[];
  /** A version switch is loading its branch. */
  switching: boolean;
  /**
   * Sends now, or queues the message when a reply is running or no model is chosen yet. Resolves
   * false when the message was refused, so the composer keeps the text.
   */
  send: (content: string, options?: SendOptions) => Promise<boolean>;
  /** Sends an edited version of a user message, as a new branch. Resolves false when refused. */
  edit: (userMessageId: string, content: string) => Promise<boolean>;
  /** Takes a queued message back out of the queue (its text is returned). */
  unqueue: (id: number) => string | null;
  stop: () => void;
  /** A new version of a reply (a sibling), which becomes the one shown. */
  regenerate: (replyId: string) => void;
  /** Retry after a failed reply: a new version of it (the question is not sent twice). */
  retry: (failedReplyId: string) => void;
  /** Shows the branch through another version of a message. */
  switchVersion: (messageId: string) => void;
  dismissProblem: () => void;
}

export interface ChatOptions {
  conversationId: string | null;
  model: string | null;
  /** The reply length to ask for; null leaves it to the conversation or the server. */
  maxTokens?: number | null;
  /** A conversation got a reply or a title: the sidebar shows it at the top. */
  onConversationChange: (conversation: Conversation) => void;
  /**
   * The first message of a new chat created its conversation: put it in the URL. It is not in the
   * sidebar until its reply starts (a refused first message leaves nothing to list).
   */
  onConversationCreated: (conversation: Conversation) => void;
  /** A reply ended (the balance changed). */
  onReplyFinished: () => void;
  /** The user's memory is on: after a reply, look again for its "Memory updated" mark. */
  memory?: boolean;
  /** The chat this hook creates (the first message of a new chat) neither reads nor writes memory. */
  incognito?: boolean;
  /** Queued messages that could not be sent after all: their text goes back to the composer. */
  onQueuedReturned?: (texts: string[]) => void;
}

/** A reply that is running server-side is read back about as often as the server saves it. */
const FOLLOW_INTERVAL_MS = 1000;
/** A resumed stream that breaks again is resumed again, this many times, then polled. */
const RESUME_ATTEMPTS = 5;
/**
 * Titles are made by a queue function after the first reply. Locally it runs within a second; an
 * idle Azure queue trigger polls with back-off up to a minute, so keep looking for a while.
 */
const TITLE_CHECKS_MS = [1000, 2500, 6000, 15_000, 35_000, 65_000];
/**
 * Memory is extracted by a queue function after the reply, which marks the reply when it changed
 * a memory: the conversation is read again this long after the reply (and whenever it is opened).
 */
const MEMORY_CHECKS_MS = [3000, 10_000];

/** A conversation without a title whose last activity is this recent may still get one. */
const RECENT_FOR_TITLE_MS = 2 * 60_000;

let localSeq = 0;
let queueSeq = 0;

type ReplyRequest =
  | { kind: 'send'; content: string; parentId?: string | null; documentIds?: string[]; imageIds?: string[] }
  | { kind: 'regenerate'; messageId: string };

/**
 * Where a message with this parent goes in the branch shown: what stays before it, and the
 * message it replaces (an edit), if any.
 */
function branchPoint(messages: ChatMessage[], parentId: string | null | undefined) {
  if (parentId === undefined) return { prefix: messages, replaced: undefined };
  const at = parentId === null ? -1 : messages.findIndex((m) => m.id === parentId);
  if (parentId !== null && at < 0) return { prefix: messages, replaced: undefined };
  return { prefix: messages.slice(0, at + 1), replaced: messages[at + 1] };
}

export function useChat(options: ChatOptions): Chat {
  const { conversationId } = options;
  const [conversation, setConversation] = useState<Conversation | null>(null);
  const [messages, setMessagesState] = useState<ChatMessage[]>([]);
  const [loading, setLoading] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [phase, setPhaseState] = useState<ChatPhase>('idle');
  const [problem, setProblem] = useState<SendProblem | null>(null);
  const [queued, setQueuedState] = useState<QueuedMessage[]>([]);
  const [switching, setSwitching] = useState(false);

  // Handlers outlive renders (streams, timers): they read the latest values through refs.
  const opts = useRef(options);
  opts.current = options;
  const phaseRef = useRef<ChatPhase>('idle');
  const setPhase = (p: ChatPhase) => {
    phaseRef.current = p;
    setPhaseState(p);
  };
  const messagesRef = useRef<ChatMessage[]>([]);
  /** Reply lengths asked for and capped, by reply id: they survive reading the conversation again. */
  const capped = useRef(new Map<string, number>());
  const setMessages = useCallback((next: ChatMessage[] | ((ms: ChatMessage[]) => ChatMessage[])) => {
    messagesRef.current = typeof next === 'function' ? next(messagesRef.current) : next;
    setMessagesState(messagesRef.current);
  }, []);
  /** Messages as the server has them, with what only this page knows added back. */
  const fromServer = (ms: Message[]): ChatMessage[] =>
    ms.map((m) => {
      const requested = capped.current.get(m.id);
      return requested === undefined ? m : { ...m, requestedMaxTokens: requested };
    });
  const queuedRef = useRef<QueuedMessage[]>([]);
  const setQueued = (q: QueuedMessage[]) => {
    queuedRef.current = q;
    setQueuedState(q);
  };
  /** The conversation this hook shows; async work for any other one is dropped on arrival. */
  const shownId = useRef<string | null>(null);
  const conversationRef = useRef<Conversation | null>(null);
  const streamAbort = useRef<AbortController | null>(null);
  const followTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const titleTimers = useRef<ReturnType<typeof setTimeout>[]>([]);
  const stopWanted = useRef(false);
  const switchingRef = useRef(false);

  const showConversation = useCallback((c: Conversation | null) => {
    conversationRef.current = c;
    setConversation(c);
  }, []);

  const detach = useCallback(() => {
    streamAbort.current?.abort();
    streamAbort.current = null;
    clearTimeout(followTimer.current);
    titleTimers.current.forEach(clearTimeout);
    titleTimers.current = [];
    stopWanted.current = false;
  }, []);

  const lookForTitle = useCallback(
    (id: string) => {
      for (const delay of TITLE_CHECKS_MS) {
        titleTimers.current.push(
          setTimeout(() => {
            if (shownId.current !== id || conversationRef.current?.title) return;
            api.getConversation(id).then(
              ({ conversation: c }) => {
                if (shownId.current !== id || !c.title || conversationRef.current?.title) return;
                showConversation(c);
                opts.current.onConversationChange(c);
              },
              () => undefined,
            );
          }, delay),
        );
      }
    },
    [showConversation],
  );

  /**
   * After a reply, the conversation is read again: the server's ids, versions (siblingIds) and
   * settled usage replace what this page assembled from the stream.
   */
  const refresh = useCallback(
    (id: string) => {
      api.getConversation(id).then(
        (detail) => {
          if (shownId.current !== id || phaseRef.current !== 'idle') return;
          if (detail.messages.some((m) => m.status === 'streaming')) return;
          setMessages(fromServer(detail.messages));
          const hadTitle = conversationRef.current?.title;
          showConversation(detail.conversation);
          if (!hadTitle && detail.conversation.title) opts.current.onConversationChange(detail.conversation);
        },
        () => undefined,
      );
    },
    [setMessages, showConversation],
  );

  const finished = useCallback(
    (id: string) => {
      setPhase('idle');
      stopWanted.current = false;
      opts.current.onReplyFinished();
      const c = conversationRef.current;
      if (c) {
        const touched = { ...c, updatedAt: new Date().toISOString() };
        showConversation(touched);
        opts.current.onConversationChange(touched);
        if (!c.title) lookForTitle(id);
      }
      refresh(id);
      if (opts.current.memory && !c?.incognito) {
        // Kept with the title checks, so leaving the conversation cancels them too.
        for (const delay of MEMORY_CHECKS_MS)
          titleTimers.current.push(
            setTimeout(() => {
              if (shownId.current !== id) return;
              if (messagesRef.current.findLast((m) => m.role === 'assistant')?.memoryUpdated) return;
              refresh(id);
            }, delay),
          );
      }
    },
    [lookForTitle, refresh, showConversation],
  );

  /** The last resort: read the conversation about once a second until the reply has ended. */
  const follow = useCallback(
    (id: string) => {
      setPhase('following');
      const tick = () => {
        api.getConversation(id).then(
          (detail) => {
            if (shownId.current !== id) return;
            setMessages(fromServer(detail.messages));
            showConversation(detail.conversation);
            if (detail.messages.some((m) => m.status === 'streaming')) {
              if (stopWanted.current) void api.stopReply(id).catch(() => undefined);
              followTimer.current = setTimeout(tick, FOLLOW_INTERVAL_MS);
            } else {
              finished(id);
            }
          },
          () => {
            // A blip (offline for a moment): keep following, a little slower.
            if (shownId.current === id) followTimer.current = setTimeout(tick, FOLLOW_INTERVAL_MS * 2);
          },
        );
      };
      followTimer.current = setTimeout(tick, FOLLOW_INTERVAL_MS);
    },
    [finished, setMessages, showConversation],
  );

  /**
   * Applies the events of one reply stream to the messages shown. Deltas arrive faster than the
   * screen refreshes: they are folded into one update per frame.
   */
  const receiver = useCallback(
    (convId: string, ids: { user: string | null; reply: string }, requested: number | undefined) => {
      const update = (id: string, change: (m: ChatMessage) => ChatMessage) =>
        setMessages((ms) => ms.map((m) => (m.id === id ? change(m) : m)));
      let pendingText = '';
      let pendingReasoning = '';
      let frame = 0;
      const flush = () => {
        cancelAnimationFrame(frame);
        frame = 0;
        if (!pendingText && !pendingReasoning) return;
        const text = pendingText;
        const reasoning = pendingReasoning;
        pendingText = '';
        pendingReasoning = '';
        update(ids.reply, (m) => ({
          ...m,
          content: m.content + text,
          reasoning: reasoning ? (m.reasoning ?? '') + reasoning : m.reasoning,
        }));
      };
      const schedule = () => {
        frame ||= requestAnimationFrame(flush);
      };
      const state = { started: false, events: 0 };
      const onEvent = (event: StreamEvent) => {
        if (shownId.current !== convId) return;
        state.events++;
        switch (event.event) {
          case 'start': {
            state.started = true;
            const { userMessageId, messageId, model, maxTokens } = event.data;
            const oldUser = ids.user;
            const oldReply = ids.reply;
            const rename = (id: string) =>
              id === oldUser ? userMessageId : id === oldReply ? messageId : id;
            const wasCapped = requested !== undefined && maxTokens < requested;
            if (wasCapped) capped.current.set(messageId, requested);
            ids.user = userMessageId;
            ids.reply = messageId;
            setMessages((ms) =>
              ms.map((m) => {
                const renamed = {
                  ...m,
                  id: rename(m.id),
                  parentId: m.parentId === null ? null : rename(m.parentId),
                  siblingIds: m.siblingIds.map(rename),
                };
                return m.id === oldReply
                  ? {
                      ...renamed,
                      model,
                      maxTokens,
                      ...(wasCapped ? { requestedMaxTokens: requested } : {}),
                    }
                  : renamed;
              }),
            );
            setPhase('streaming');
            if (stopWanted.current) void api.stopReply(convId).catch(() => undefined);
            const c = conversationRef.current;
            if (c) opts.current.onConversationChange({ ...c, updatedAt: new Date().toISOString() });
            break;
          }
          case 'citations':
            update(ids.reply, (m) => ({ ...m, citations: event.data.citations }));
            break;
          case 'reasoning':
            pendingReasoning += event.data.text;
            schedule();
            break;
          case 'delta':
            pendingText += event.data.text;
            schedule();
            break;
          case 'usage':
            flush();
            update(ids.reply, (m) => ({ ...m, usage: event.data }));
            break;
          case 'done':
            flush();
            update(ids.reply, (m) => ({
              ...m,
              status: event.data.status,
              finishReason: event.data.reason ?? null,
            }));
            break;
          case 'error':
            flush();
            update(ids.reply, (m) => ({ ...m, status: 'failed', error: event.data }));
            break;
        }
      };
      return { onEvent, flush, cancel: () => cancelAnimationFrame(frame), state, ids };
    },
    [setMessages],
  );

  /**
   * Continues a reply that is running server-side from what is shown: the resume endpoint sends
   * the rest of the text as it is written. Without it (an older server), the conversation is polled.
   */
  const resume = useCallback(
    async (convId: string, replyId: string, attempt = 0): Promise<void> => {
      setPhase('following');
      const reply = messagesRef.current.find((m) => m.id === replyId);
      if (!reply) return follow(convId);
      const controller = new AbortController();
      streamAbort.current = controller;
      const r = receiver(convId, { user: reply.parentId, reply: replyId }, undefined);
      let end: StreamEnd;
      try {
        end = await api.resumeReply(convId, replyId, reply.content.length, r.onEvent, controller.signal);
      } catch {
        r.cancel();
        if (controller.signal.aborted || shownId.current !== convId) return;
        return follow(convId);
      }
      r.flush();
      if (streamAbort.current === controller) streamAbort.current = null;
      if (controller.signal.aborted || shownId.current !== convId) return;
      if (end.event !== 'interrupted') return finished(convId);
      // Broken again: resume from the new length while it makes progress, else read it back.
      if (r.state.events > 0 && attempt < RESUME_ATTEMPTS) {
        followTimer.current = setTimeout(
          () => void resume(convId, r.ids.reply, attempt + 1),
          300 * (attempt + 1),
        );
        return;
      }
      follow(convId);
    },
    [finished, follow, receiver],
  );

  // Open the conversation in the URL, unless it is the one this hook just created.
  useEffect(() => {
    if (conversationId !== null && conversationId === shownId.current) return;
    detach();
    // Messages waiting for the conversation being left go back to its draft, not to this one.
    const left = shownId.current;
    for (const q of queuedRef.current.toReversed()) restoreIntoDraft(left, q.content);
    setQueued([]);
    shownId.current = conversationId;
    setProblem(null);
    setPhase('idle');
    setMessages([]);
    showConversation(null);
    setLoadError(null);
    if (conversationId === null) {
      setLoading(false);
      return;
    }
    setLoading(true);
    const controller = new AbortController();
    api.getConversation(conversationId, controller.signal).then(
      (detail) => {
        if (shownId.current !== conversationId) return;
        showConversation(detail.conversation);
        setMessages(fromServer(detail.messages));
        setLoading(false);
        const running = detail.messages.findLast((m) => m.role === 'assistant' && m.status === 'streaming');
        if (running) void resume(conversationId, running.id);
        // Opened (or reloaded) right after its first reply: the title is still being made.
        else if (
          !detail.conversation.title &&
          detail.messages.length > 0 &&
          Date.now() - Date.parse(detail.conversation.updatedAt) < RECENT_FOR_TITLE_MS
        )
          lookForTitle(conversationId);
      },
      (err: unknown) => {
        if (controller.signal.aborted || shownId.current !== conversationId) return;
        setLoadError(
          isApiError(err, 'not_found')
            ? 'This conversation does not exist or was deleted.'
            : (err as Error).message,
        );
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [conversationId, detach, lookForTitle, resume, setMessages, showConversation]);

  useEffect(() => detach, [detach]);

  /** Sends a message or asks for a new version of a reply, and reads the reply stream. */
  const run = useCallback(
    async (request: ReplyRequest): Promise<boolean> => {
      const model = opts.current.model;
      if (phaseRef.current !== 'idle' || !model) return false;
      setProblem(null);
      const before = messagesRef.current;
      const seq = ++localSeq;
      const now = new Date().toISOString();
      const maxTokens = opts.current.maxTokens ?? undefined;
      const ids = { user: null as string | null, reply: `local-${seq}-reply` };
      const base = {
        model,
        imageIds: [],
        citations: [],
        usage: null,
        error: null,
        reasoning: null,
        feedback: null,
        finishReason: null,
        createdAt: now,
      };
      const reply = (parentId: string | null, siblingIds: string[]): ChatMessage => ({
        ...base,
        id: ids.reply,
        parentId,
        siblingIds: [...siblingIds, ids.reply],
        role: 'assistant',
        content: '',
        status: 'streaming',
        maxTokens: maxTokens ?? null,
      });
      if (request.kind === 'send') {
        const { prefix, replaced } = branchPoint(before, request.parentId);
        const userId = `local-${seq}-question`;
        ids.user = userId;
        const parentId = request.parentId === undefined ? (before.at(-1)?.id ?? null) : request.parentId;
        const question: ChatMessage = {
          ...base,
          id: userId,
          parentId,
          siblingIds: [...(replaced?.siblingIds ?? []), userId],
          role: 'user',
          content: request.content,
          imageIds: request.imageIds ?? [],
          status: 'complete',
          maxTokens: null,
        };
        setMessages([...prefix, question, reply(userId, [])]);
      } else {
        const at = before.findIndex((m) => m.id === request.messageId);
        const old = before[at];
        if (!old || old.role !== 'assistant') return false;
        ids.user = old.parentId;
        setMessages([...before.slice(0, at), reply(old.parentId, old.siblingIds)]);
      }
      setPhase('sending');

      let r: ReturnType<typeof receiver> | undefined;
      let id = shownId.current;
      try {
        if (!id) {
          const { conversation: created } = await api.createConversation({
            model,
            ...(opts.current.incognito ? { incognito: true } : {}),
          });
          id = created.id;
          shownId.current = id;
          showConversation(created);
          opts.current.onConversationCreated(created);
        }
        const convId = id;
        const controller = new AbortController();
        streamAbort.current = controller;
        r = receiver(convId, ids, maxTokens);
        const limits = maxTokens === undefined ? {} : { maxTokens };
        const end =
          request.kind === 'send'
            ? await api.streamReply(
                convId,
                {
                  content: request.content,
                  model,
                  ...limits,
                  ...(request.parentId === undefined ? {} : { parentId: request.parentId }),
                  ...(request.documentIds?.length ? { documentIds: request.documentIds } : {}),
                  ...(request.imageIds?.length ? { imageIds: request.imageIds } : {}),
                },
                r.onEvent,
                controller.signal,
              )
            : await api.regenerate(
                convId,
                request.messageId,
                { model, ...limits },
                r.onEvent,
                controller.signal,
              );
        r.flush();
        if (streamAbort.current === controller) streamAbort.current = null;
        if (shownId.current !== convId) return true;
        if (end.event !== 'interrupted') finished(convId);
        else if (r.state.started) void resume(convId, r.ids.reply);
        else follow(convId);
        return true;
      } catch (err) {
        r?.cancel();
        if (id !== null && shownId.current !== id) {
          // Refused after the page moved on: the text waits in that conversation's draft.
          if (request.kind === 'send') restoreIntoDraft(id, request.content);
          return true;
        }
        // Refused before the reply began: the server kept nothing, so neither do we.
        setMessages(before);
        setPhase('idle');
        stopWanted.current = false;
        setProblem(
          isApiError(err)
            ? {
                code: err.code,
                message: err.message,
                retryAfterSeconds: err.retryAfterSeconds,
                kind: request.kind === 'send' ? 'send' : 'action',
              }
            : { code: 'unexpected', message: (err as Error).message, kind: 'action' },
        );
        return false;
      }
    },
    [finished, follow, receiver, resume, setMessages, showConversation],
  );

  const send = useCallback(
    async (content: string, options: SendOptions = {}): Promise<boolean> => {
      if (!content.trim()) return false;
      const documentIds = options.documentIds?.length ? { documentIds: options.documentIds } : {};
      const imageIds = options.imageIds?.length ? { imageIds: options.imageIds } : {};
      if (phaseRef.current !== 'idle' || !opts.current.model || switchingRef.current) {
        setQueued([...queuedRef.current, { id: ++queueSeq, content, ...documentIds, ...imageIds }]);
        return true;
      }
      return run({ kind: 'send', content, ...documentIds, ...imageIds });
    },
    [run],
  );

  // Queued messages go out one by one, each when nothing else is running and a model is chosen.
  const model = options.model;
  useEffect(() => {
    const [next, ...rest] = queued;
    if (!next || phase !== 'idle' || !model || loading || switching) return;
    setQueued(rest);
    void run({
      kind: 'send',
      content: next.content,
      ...(next.documentIds ? { documentIds: next.documentIds } : {}),
      ...(next.imageIds ? { imageIds: next.imageIds } : {}),
    }).then((sent) => {
      if (sent) return;
      // Refused (no credits, rate limit): the rest would be too. All of it goes back to the composer.
      const texts = [next.content, ...queuedRef.current.map((q) => q.content)];
      setQueued([]);
      opts.current.onQueuedReturned?.(texts);
    });
  }, [queued, phase, model, loading, switching, run]);

  const unqueue = useCallback((queueId: number) => {
    const item = queuedRef.current.find((q) => q.id === queueId);
    if (!item) return null;
    setQueued(queuedRef.current.filter((q) => q.id !== queueId));
    return item.content;
  }, []);

  const edit = useCallback(
    (userMessageId: string, content: string): Promise<boolean> => {
      const original = messagesRef.current.find((m) => m.id === userMessageId);
      if (!original || !content.trim() || phaseRef.current !== 'idle') return Promise.resolve(false);
      // An edit keeps the images of the message it changes.
      return run({ kind: 'send', content, parentId: original.parentId, imageIds: original.imageIds });
    },
    [run],
  );

  const regenerate = useCallback(
    (replyId: string) => {
      if (phaseRef.current !== 'idle' || switchingRef.current) return;
      void run({ kind: 'regenerate', messageId: replyId });
    },
    [run],
  );

  const switchVersion = useCallback(
    (messageId: string) => {
      const id = shownId.current;
      if (!id || phaseRef.current !== 'idle' || switchingRef.current) return;
      switchingRef.current = true;
      setSwitching(true);
      setProblem(null);
      api
        .updateConversation(id, { activeMessageId: messageId })
        .then(() => api.getConversation(id))
        .then(
          (detail) => {
            if (shownId.current !== id) return;
            showConversation(detail.conversation);
            setMessages(fromServer(detail.messages));
            const running = detail.messages.findLast(
              (m) => m.role === 'assistant' && m.status === 'streaming',
            );
            if (running) void resume(id, running.id);
          },
          (err: unknown) => {
            if (shownId.current !== id) return;
            setProblem({
              code: isApiError(err) ? err.code : 'unexpected',
              message: `That version could not be shown. ${(err as Error).message}`,
              kind: 'action',
            });
          },
        )
        .finally(() => {
          switchingRef.current = false;
          setSwitching(false);
        });
    },
    [resume, setMessages, showConversation],
  );

  const stop = useCallback(() => {
    const id = shownId.current;
    if (!id || phaseRef.current === 'idle') return;
    stopWanted.current = true;
    // While still 'sending' the reply does not exist yet; the start event asks again.
    if (phaseRef.current === 'sending') return;
    api.stopReply(id).catch((err: unknown) =>
      setProblem({
        code: 'stop_failed',
        message: `The reply could not be stopped. ${(err as Error).message}`,
        kind: 'action',
      }),
    );
  }, []);

  return {
    conversation,
    messages,
    loading,
    loadError,
    phase,
    problem,
    queued,
    switching,
    send,
    edit,
    unqueue,
    stop,
    regenerate,
    retry: regenerate,
    switchVersion,
    dismissProblem: () => setProblem(null),
  };
}
