import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { StreamEvent } from '../../../shared/contracts/chat-stream';
import type { Conversation, Message } from '../../../shared/contracts/conversations';
import { api, isApiError } from '../api';

/**
 * idle: nothing running. sending: the request is out, no reply yet. streaming: events arrive on
 * this page's own stream. following: a reply runs server-side without a stream here (after a
 * reload, or a dropped connection) and is read by polling the conversation.
 */
export type ChatPhase = 'idle' | 'sending' | 'streaming' | 'following';

/** A message refused before any reply began (402, 429, ...): nothing was stored. */
export interface SendProblem {
  code: string;
  message: string;
  retryAfterSeconds?: number;
}

export interface Chat {
  conversation: Conversation | null;
  messages: Message[];
  loading: boolean;
  loadError: string | null;
  phase: ChatPhase;
  problem: SendProblem | null;
  /** Resolves false when the message was refused, so the composer keeps the text. */
  send: (content: string) => Promise<boolean>;
  stop: () => void;
  /** Sends the question behind a failed reply again. */
  retry: (failedReplyId: string) => void;
  dismissProblem: () => void;
}

export interface ChatOptions {
  conversationId: string | null;
  model: string | null;
  /** A conversation was created, got a reply or a title: the sidebar shows it at the top. */
  onConversationChange: (conversation: Conversation) => void;
  /** The first message of a new chat created its conversation: put it in the URL. */
  onConversationCreated: (conversation: Conversation) => void;
  /** A reply ended (the balance changed). */
  onReplyFinished: () => void;
}

/** A reply that is running server-side is read back about as often as the server saves it. */
const FOLLOW_INTERVAL_MS = 1000;
/**
 * Titles are made by a queue function after the first reply. Locally it runs within a second; an
 * idle Azure queue trigger polls with back-off up to a minute, so keep looking for a while.
 */
const TITLE_CHECKS_MS = [1000, 2500, 6000, 15_000, 35_000, 65_000];

let localSeq = 0;

export function useChat(options: ChatOptions): Chat {
  const { conversationId } = options;
  const [conversation, setConversation] = useState<Conversation | null>(null);
  const [messages, setMessages] = useState<Message[]>([]);
  const [loading, setLoading] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [phase, setPhaseState] = useState<ChatPhase>('idle');
  const [problem, setProblem] = useState<SendProblem | null>(null);

  // Handlers outlive renders (streams, timers): they read the latest values through refs.
  const opts = useRef(options);
  opts.current = options;
  const phaseRef = useRef<ChatPhase>('idle');
  const setPhase = (p: ChatPhase) => {
    phaseRef.current = p;
    setPhaseState(p);
  };
  /** The conversation this hook shows; async work for any other one is dropped on arrival. */
  const shownId = useRef<string | null>(null);
  const conversationRef = useRef<Conversation | null>(null);
  const streamAbort = useRef<AbortController | null>(null);
  const followTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const titleTimers = useRef<ReturnType<typeof setTimeout>[]>([]);
  const stopWanted = useRef(false);

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
    },
    [lookForTitle, showConversation],
  );

  const follow = useCallback(
    (id: string) => {
      setPhase('following');
      const tick = () => {
        api.getConversation(id).then(
          (detail) => {
            if (shownId.current !== id) return;
            setMessages(detail.messages);
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
    [finished, showConversation],
  );

  // Open the conversation in the URL, unless it is the one this hook just created.
  useEffect(() => {
    if (conversationId !== null && conversationId === shownId.current) return;
    detach();
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
        setMessages(detail.messages);
        setLoading(false);
        if (detail.messages.some((m) => m.status === 'streaming')) follow(conversationId);
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
  }, [conversationId, detach, follow, showConversation]);

  useEffect(() => detach, [detach]);

  const send = useCallback(
    async (content: string): Promise<boolean> => {
      const model = opts.current.model;
      if (phaseRef.current !== 'idle' || !model || !content.trim()) return false;
      setProblem(null);
      const seq = ++localSeq;
      const now = new Date().toISOString();
      let userMessageId = `local-${seq}-question`;
      let replyId = `local-${seq}-reply`;
      const base = {
        model,
        imageIds: [],
        citations: [],
        usage: null,
        error: null,
        reasoning: null,
        createdAt: now,
      };
      setMessages((ms) => [
        ...ms,
        { ...base, id: userMessageId, role: 'user', content, status: 'complete' },
        { ...base, id: replyId, role: 'assistant', content: '', status: 'streaming' },
      ]);
      setPhase('sending');

      const update = (id: string, change: (m: Message) => Message) =>
        setMessages((ms) => ms.map((m) => (m.id === id ? change(m) : m)));

      // Deltas arrive faster than the screen refreshes: fold them into one update per frame.
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
        update(replyId, (m) => ({
          ...m,
          content: m.content + text,
          reasoning: reasoning ? (m.reasoning ?? '') + reasoning : m.reasoning,
        }));
      };
      const schedule = () => {
        frame ||= requestAnimationFrame(flush);
      };

      let id = shownId.current;
      try {
        if (!id) {
          const { conversation: created } = await api.createConversation({ model });
          id = created.id;
          shownId.current = id;
          showConversation(created);
          opts.current.onConversationCreated(created);
        }
        const convId = id;
        const controller = new AbortController();
        streamAbort.current = controller;
        const onEvent = (event: StreamEvent) => {
          if (shownId.current !== convId) return;
          switch (event.event) {
            case 'start': {
              const oldUser = userMessageId;
              const oldReply = replyId;
              userMessageId = event.data.userMessageId;
              replyId = event.data.messageId;
              setMessages((ms) =>
                ms.map((m) =>
                  m.id === oldUser
                    ? { ...m, id: userMessageId }
                    : m.id === oldReply
                      ? { ...m, id: replyId, model: event.data.model }
                      : m,
                ),
              );
              setPhase('streaming');
              if (stopWanted.current) void api.stopReply(convId).catch(() => undefined);
              break;
            }
            case 'citations':
              update(replyId, (m) => ({ ...m, citations: event.data.citations }));
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
              update(replyId, (m) => ({ ...m, usage: event.data }));
              break;
            case 'done':
              flush();
              update(replyId, (m) => ({ ...m, status: event.data.status }));
              break;
            case 'error':
              flush();
              update(replyId, (m) => ({ ...m, status: 'failed', error: event.data }));
              break;
          }
        };
        const end = await api.streamReply(convId, { content, model }, onEvent, controller.signal);
        flush();
        if (streamAbort.current === controller) streamAbort.current = null;
        if (shownId.current !== convId) return true;
        if (end.event === 'interrupted') follow(convId);
        else finished(convId);
        return true;
      } catch (err) {
        cancelAnimationFrame(frame);
        if (shownId.current !== id && id !== null) return true;
        // Refused before the reply began: the server kept nothing, so neither do we.
        setMessages((ms) => ms.filter((m) => m.id !== userMessageId && m.id !== replyId));
        setPhase('idle');
        stopWanted.current = false;
        setProblem(
          isApiError(err)
            ? { code: err.code, message: err.message, retryAfterSeconds: err.retryAfterSeconds }
            : { code: 'unexpected', message: (err as Error).message },
        );
        return false;
      }
    },
    [finished, follow, showConversation],
  );

  const stop = useCallback(() => {
    const id = shownId.current;
    if (!id || phaseRef.current === 'idle') return;
    stopWanted.current = true;
    // While still 'sending' the reply does not exist yet; the start event asks again.
    if (phaseRef.current === 'sending') return;
    api
      .stopReply(id)
      .catch((err: unknown) => setProblem({ code: 'stop_failed', message: (err as Error).message }));
  }, []);

  const retry = useCallback(
    (failedReplyId: string) => {
      const index = messages.findIndex((m) => m.id === failedReplyId);
      const question = messages
        .slice(0, index)
        .reverse()
        .find((m) => m.role === 'user');
      if (question) void send(question.content);
    },
    [messages, send],
  );

  return {
    conversation,
    messages,
    loading,
    loadError,
    phase,
    problem,
    send,
    stop,
    retry,
    dismissProblem: () => setProblem(null),
  };
}
