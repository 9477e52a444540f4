import type { Clock } from '../clock';
import type { Db } from '../db/db';
import { chatStore } from './store';

interface LiveReply {
  messageId: string;
  content: string;
  reasoning: string;
  dirty: boolean;
  onStop: () => void;
}

/**
 * The replies this instance is streaming, watched together: one query per tick asks which of
 * them someone wants stopped, and one statement per tick writes every changed partial text.
 * Per-reply polling would cost a query per reply per tick, all on the database the chat needs.
 */
export function liveReplies(deps: {
  db: Db;
  clock: Clock;
  stopPollMs: number;
  flushMs: number;
  log: (msg: string, err?: unknown) => void;
}) {
  const live = new Map<string, LiveReply>();
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
    const batch = [...live.entries()].filter(([, r]) => r.dirty);
    if (batch.length === 0) return Promise.resolve();
    for (const [, r] of batch) r.dirty = false;
    flushing = chatStore(deps.db)
      .flushPartials(
        batch.map(([generationId, r]) => ({
          generationId,
          messageId: r.messageId,
          content: r.content,
          reasoning: r.reasoning,
        })),
        deps.clock.now(),
      )
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
    add(generationId: string, messageId: string, onStop: () => void) {
      let stopped = false;
      live.set(generationId, {
        messageId,
        content: '',
        reasoning: '',
        dirty: false,
        onStop: () => {
          if (stopped) return;
          stopped = true;
          onStop();
        },
      });
      start();
    },
    update(generationId: string, content: string, reasoning: string) {
      const r = live.get(generationId);
      if (r) Object.assign(r, { content, reasoning, dirty: true });
    },
    /** Stops watching; waits for a flush in progress so the final write cannot be overtaken. */
    async remove(generationId: string) {
      live.delete(generationId);
      stopIfIdle();
      await flushing;
    },
    size: () => live.size,
  };
}

export type LiveReplies = ReturnType<typeof liveReplies>;
