import { z } from 'zod';
import { citation, usage } from './conversations';

/** Server-sent events of `POST /api/conversations/{id}/messages`, in the order they may occur. */
export const streamEvents = {
  start: z.object({ userMessageId: z.string(), messageId: z.string(), model: z.string() }),
  citations: z.object({ citations: z.array(citation) }),
  reasoning: z.object({ text: z.string() }),
  delta: z.object({ text: z.string() }),
  usage,
  done: z.object({ status: z.enum(['complete', 'stopped']), reason: z.string().optional() }),
  error: z.object({ code: z.string(), message: z.string() }),
} as const;

export type StreamEventName = keyof typeof streamEvents;
export type StreamEvent = {
  [K in StreamEventName]: { event: K; data: z.infer<(typeof streamEvents)[K]> };
}[StreamEventName];

/** Parses one SSE event (name + data JSON) into a typed event; throws on an unknown name or bad data. */
export function parseStreamEvent(event: string, data: string): StreamEvent {
  if (!(event in streamEvents)) throw new Error(`unknown stream event "${event}"`);
  const name = event as StreamEventName;
  return { event: name, data: streamEvents[name].parse(JSON.parse(data)) } as StreamEvent;
}
