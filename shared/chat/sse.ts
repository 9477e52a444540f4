import type { StreamEvent } from '../contracts/chat-stream';

/** One server-sent event: JSON never contains a raw newline, so one `data:` line suffices. */
export const sseEvent = (e: StreamEvent) => `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
export const sseComment = (text: string) => `: ${text}\n\n`;
