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
  onStop: () => void;
  /** Resumed streams of this reply (a reload), fed the same events as the original. */
  listeners: Set<(e: StreamEvent) => void>;
}

/**
 * The replies this instance is streaming, watched together: one query per tick asks which of
 * them someone wants stopped, and one statement per tick writes every changed partial text and
 * refreshes the rows of the unchanged ones every `refreshMs`, so the reaper can tell a live
 * reply from one whose instance died. Per-reply polling would cost a query per reply per tick.
 */
export function liveReplies(deps: {
  db: Db;
  clock: Clock;
  stopPollMs: number;
  flushMs: number;
  refreshMs: number;
  log: (msg: string, err?: unknown) => void;
}) {
  const live = new Map<string, LiveReply>();
  const byMessage = new Map<string, string>();
  let timers: NodeJS.Timeout[] = [];
  let polling = false;
  let flushing: Promise<void> | undefined;

  async function pollStops() {
    if (polling || live.size === 0) return;
    polling = true;
    try {
      for (const id of await chatStore(deps.db).stopsRequested([...live.keys()])) live.get(id)?.onStop();
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
      setInterval(() => void pollStops(), deps.stopPollMs),
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
    /** Starts watching a reply; `onStop` runs once when someone asks it to stop. */
    add(generationId: string, messageId: string | null, onStop: () => void) {
      let stopped = false;
      live.set(generationId, {
        messageId,
        content: '',
        reasoning: '',
        dirty: false,
        refreshedAt: deps.clock.now().getTime(),
        listeners: new Set(),
        onStop: () => {
          if (stopped) return;
          stopped = true;
          onStop();
        },
      });
      if (messageId) byMessage.set(messageId, generationId);
      start();
    },
    update(generationId: string, content: string, reasoning: string) {
      const r = live.get(generationId);
      if (r) Object.assign(r, { content, reasoning, dirty: true });
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
