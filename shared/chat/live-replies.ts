import { performance } from 'node:perf_hooks';
import type { Clock } from '../clock';
import type { StreamEvent } from '../contracts/chat-stream';
import type { Db } from '../db/db';
import { chatStore } from './store';

interface LiveReply {
  /** Null for a call through the API: no message row to write the text to. */
  messageId: string | null;
  content: string;
  reasoning: string;
  dirty: boolean;
  refreshedAt: number;
  /** Monotonic ms: when the reply started, and when its upstream last sent something. */
  startedAt: number;
  lastEventAt: number;
  end: (why: LiveEnd) => void;
  /** Resumed streams of this reply (a reload), fed the same events as the original. */
  listeners: Set<(e: StreamEvent) => void>;
}

/** Why a live reply is ended from outside its stream: a stop, a silent upstream, the deadline. */
export type LiveEnd = 'user' | 'idle' | 'time_limit';

/**
 * The replies this instance is streaming, watched together: one query per tick asks which of
 * them someone wants stopped, and one statement per tick writes every changed partial text and
 * refreshes the rows of the unchanged ones every `refreshMs`, so the reaper can tell a live
 * reply from one whose instance died. Per-reply polling would cost a query per reply per tick.
 * The same tick ends replies whose upstream went quiet for `idleMs` or that reached `deadlineMs`,
 * instead of two timers per reply re-armed on every chunk.
 */
export function liveReplies(deps: {
  db: Db;
  clock: Clock;
  stopPollMs: number;
  flushMs: number;
  refreshMs: number;
  idleMs: number;
  deadlineMs: number;
  log: (msg: string, err?: unknown) => void;
}) {
  const live = new Map<string, LiveReply>();
  const byMessage = new Map<string, string>();
  let timers: NodeJS.Timeout[] = [];
  let polling = false;
  let flushing: Promise<void> | undefined;

  /** Ends, within a tick of their limit, replies gone quiet or past their deadline. */
  function watch() {
    const now = performance.now();
    for (const r of live.values()) {
      if (now - r.lastEventAt >= deps.idleMs) r.end('idle');
      else if (now - r.startedAt >= deps.deadlineMs) r.end('time_limit');
    }
  }

  async function pollStops() {
    if (polling || live.size === 0) return;
    polling = true;
    try {
      for (const id of await chatStore(deps.db).stopsRequested([...live.keys()])) live.get(id)?.end('user');
    } catch (err) {
      deps.log('stop poll failed', err);
    } finally {
      polling = false;
    }
  }

  function flush(): Promise<void> {
    if (flushing) return flushing;
    const now = deps.clock.now();
    const due = now.getTime() - deps.refreshMs;
    const batch = [...live.entries()].filter(([, r]) => r.dirty || r.refreshedAt <= due);
    if (batch.length === 0) return Promise.resolve();
    const partials = batch.map(([generationId, r]) => ({
      generationId,
      messageId: r.messageId,
      content: r.content,
      reasoning: r.reasoning,
      dirty: r.dirty,
    }));
    for (const [, r] of batch) {
      r.dirty = false;
      r.refreshedAt = now.getTime();
    }
    flushing = chatStore(deps.db)
      .flushPartials(partials, now)
      .then(() => undefined)
      .catch((err) => deps.log('partial flush failed', err))
      .finally(() => (flushing = undefined));
    return flushing;
  }

  function start() {
    if (timers.length) return;
    timers = [
      setInterval(
        () => {
          // Before the query, which may wait on a busy database: a quiet reply ends on time anyway.
          watch();
          void pollStops();
        },
        Math.min(deps.stopPollMs, deps.idleMs, deps.deadlineMs),
      ),
      setInterval(() => void flush(), deps.flushMs),
    ];
    // A reply in flight must not keep a shutting-down process alive on its own.
    for (const t of timers) t.unref();
  }

  function stopIfIdle() {
    if (live.size > 0) return;
    for (const t of timers) clearInterval(t);
    timers = [];
  }

  return {
    /** Starts watching a reply; `onEnd` runs once, when it is stopped, goes quiet or runs out of time. */
    add(generationId: string, messageId: string | null, onEnd: (why: LiveEnd) => void) {
      let ended = false;
      const at = performance.now();
      live.set(generationId, {
        messageId,
        content: '',
        reasoning: '',
        dirty: false,
        refreshedAt: deps.clock.now().getTime(),
        startedAt: at,
        lastEventAt: at,
        listeners: new Set(),
        end: (why) => {
          if (ended) return;
          ended = true;
          onEnd(why);
        },
      });
      if (messageId) byMessage.set(messageId, generationId);
      start();
    },
    /** The reply's text so far, after each event from its upstream (which also proves it alive). */
    update(generationId: string, content: string, reasoning: string) {
      const r = live.get(generationId);
      if (!r) return;
      r.content = content;
      r.reasoning = reasoning;
      r.dirty = true;
      r.lastEventAt = performance.now();
    },
    /** Hands an event of the reply to every resumed stream of it. */
    publish(generationId: string, event: StreamEvent) {
      const r = live.get(generationId);
      if (r) for (const l of r.listeners) l(event);
    },
    /**
     * Joins a reply streaming here: its text so far, then every later event through `listener`
     * (synchronously after the snapshot, so nothing falls between). Null when it is not live here.
     */
    join(messageId: string, listener: (e: StreamEvent) => void) {
      const generationId = byMessage.get(messageId);
      const r = generationId ? live.get(generationId) : undefined;
      if (!r) return null;
      r.listeners.add(listener);
      return { content: r.content, leave: () => r.listeners.delete(listener) };
    },
    /**
     * Stops watching; waits for a flush in progress so the final write cannot be overtaken.
     * Returns the resumed streams still attached, for the reply's last events.
     */
    async remove(generationId: string): Promise<Set<(e: StreamEvent) => void>> {
      const r = live.get(generationId);
      live.delete(generationId);
      if (r?.messageId) byMessage.delete(r.messageId);
      stopIfIdle();
      await flushing;
      return r?.listeners ?? new Set();
    },
    size: () => live.size,
  };
}

export type LiveReplies = ReturnType<typeof liveReplies>;
