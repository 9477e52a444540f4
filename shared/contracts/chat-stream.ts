import { z } from 'zod';
import { citation, usage } from './conversations';
import { errorCode } from './errors';

export const doneReason = z.enum(['user', 'time_limit', 'length', 'balance']);
export type DoneReason = z.infer<typeof doneReason>;

/**
 * Server-sent events of a reply (send, regenerate, resume), in the order they may occur. The
 * chat core yields these; the HTTP edge frames them as SSE (and `/api/v1` as OpenAI chunks).
 */
export const streamEvents = {
  start: z.object({
    /** The user message the reply answers (a resumed stream sends it too). */
    userMessageId: z.string(),
    messageId: z.string(),
    model: z.string(),
    /** The reply length allowed: the one asked for, or less when the balance caps it. */
    maxTokens: z.number().int(),
    /** The parent of the user message: where the new branch hangs (null at the start). */
    parentId: z.string().nullable().optional(),
  }),
  citations: z.object({ citations: z.array(citation) }),
  reasoning: z.object({ text: z.string() }),
  delta: z.object({ text: z.string() }),
  usage,
  done: z.object({ status: z.enum(['complete', 'stopped']), reason: doneReason.optional() }),
  error: z.object({ code: errorCode, message: z.string() }),
} as const;

export type StreamEventName = keyof typeof streamEvents;
export type StreamEvent = {
  [K in StreamEventName]: { event: K; data: z.infer<(typeof streamEvents)[K]> };
}[StreamEventName];

const isStreamEventName = (name: string): name is StreamEventName => Object.hasOwn(streamEvents, name);

/**
 * Parses one SSE event (name + data JSON) into a typed event. An event name this client does not
 * know is skipped (null), so the server can add events without breaking deployed clients; a
 * known event with bad data throws.
 */
export function parseStreamEvent(event: string, data: string): StreamEvent | null {
  if (!isStreamEventName(event)) return null;
  return { event, data: streamEvents[event].parse(JSON.parse(data)) } as StreamEvent;
}

/**
 * Incremental SSE reader for the chat stream: feed it text as it arrives, get typed events back.
 * Comment lines (`: ping`) are skipped; an event is complete at its blank line.
 */
export function createStreamParser() {
  let buffer = '';
  let name = 'message';
  let data: string[] = [];
  return {
    push(text: string): StreamEvent[] {
      buffer += text;
      const out: StreamEvent[] = [];
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).replace(/\r$/, '');
        buffer = buffer.slice(nl + 1);
        if (line === '') {
          const parsed = data.length ? parseStreamEvent(name, data.join('\n')) : null;
          if (parsed) out.push(parsed);
          name = 'message';
          data = [];
        } else if (line.startsWith(':')) {
          continue;
        } else if (line.startsWith('event:')) {
          name = line.slice(6).trim();
        } else if (line.startsWith('data:')) {
          data.push(line.slice(5).replace(/^ /, ''));
        }
      }
      return out;
    },
  };
}
