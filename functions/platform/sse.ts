import type { HttpResponseInit } from '@azure/functions';
import { ReadableStream } from 'node:stream/web';
import type { StreamEvent } from '../../shared/contracts/chat-stream';

/** Browsers and proxies drop an idle connection; a comment line every 15 s keeps it open. */
export const HEARTBEAT_MS = 15_000;

/** One server-sent event: JSON never contains a raw newline, so one `data:` line suffices. */
export const sseEvent = (e: StreamEvent) => `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
export const sseComment = (text: string) => `: ${text}\n\n`;

/**
 * Frames the core's reply events as an SSE response with heartbeats. When the client goes away
 * the iterator is returned: the reply itself runs on in the core and is kept for the next load.
 */
export const sseResponse = (
  events: AsyncIterable<StreamEvent>,
  heartbeatMs = HEARTBEAT_MS,
): HttpResponseInit => sseFrames(framed(events, sseEvent), heartbeatMs);

/** Data-only events (`data: …`), as OpenAI's streams are: each string is one event's data. */
export const sseDataResponse = (data: AsyncIterable<string>, heartbeatMs = HEARTBEAT_MS): HttpResponseInit =>
  sseFrames(
    framed(data, (d) => `data: ${d}\n\n`),
    heartbeatMs,
  );

/** Not a generator: a generator's `return` would wait for the next item, and a client that left must let go at once. */
function framed<T>(items: AsyncIterable<T>, frame: (item: T) => string): AsyncIterable<string> {
  const it = items[Symbol.asyncIterator]();
  return {
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        const n = await it.next();
        return n.done ? { done: true, value: undefined } : { done: false, value: frame(n.value) };
      },
      return: async () => {
        await it.return?.();
        return { done: true, value: undefined };
      },
    }),
  };
}

function sseFrames(frames: AsyncIterable<string>, heartbeatMs: number): HttpResponseInit {
  const encoder = new TextEncoder();
  const iterator = frames[Symbol.asyncIterator]();
  let heartbeat: NodeJS.Timeout | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      heartbeat = setInterval(() => controller.enqueue(encoder.encode(sseComment('ping'))), heartbeatMs);
      void (async () => {
        try {
          for (;;) {
            const next = await iterator.next();
            if (next.done) break;
            controller.enqueue(encoder.encode(next.value));
          }
          controller.close();
        } catch {
          // The core ends every stream with its own `error` event; this is a client that left.
        } finally {
          clearInterval(heartbeat);
        }
      })();
    },
    async cancel() {
      clearInterval(heartbeat);
      await iterator.return?.();
    },
  });
  return {
    headers: {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      'X-Accel-Buffering': 'no',
    },
    body,
  };
}
