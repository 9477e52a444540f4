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
export function sseResponse(
  events: AsyncIterable<StreamEvent>,
  heartbeatMs = HEARTBEAT_MS,
): HttpResponseInit {
  const encoder = new TextEncoder();
  const iterator = events[Symbol.asyncIterator]();
  let heartbeat: NodeJS.Timeout | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      heartbeat = setInterval(() => controller.enqueue(encoder.encode(sseComment('ping'))), heartbeatMs);
      void (async () => {
        try {
          for (;;) {
            const next = await iterator.next();
            if (next.done) break;
            controller.enqueue(encoder.encode(sseEvent(next.value)));
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
