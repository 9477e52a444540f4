import { describe, expect, it } from 'vitest';
import { sseComment, sseEvent } from '../../functions/platform/sse';
import { createStreamParser } from './chat-stream';

describe('stream parser', () => {
  it('reads back what the server writes, across arbitrary chunk boundaries, skipping comments', () => {
    const wire =
      sseEvent({
        event: 'start',
        data: { userMessageId: 'u', messageId: 'm', model: 'x/y', maxTokens: 100 },
      }) +
      sseComment('ping') +
      sseEvent({ event: 'delta', data: { text: 'line one\nline "two"' } }) +
      sseEvent({ event: 'done', data: { status: 'complete' } });
    for (const size of [1, 3, 7, wire.length]) {
      const parser = createStreamParser();
      const events = [];
      for (let i = 0; i < wire.length; i += size) events.push(...parser.push(wire.slice(i, i + size)));
      expect(events.map((e) => e.event)).toEqual(['start', 'delta', 'done']);
      expect(events[1]).toEqual({ event: 'delta', data: { text: 'line one\nline "two"' } });
    }
  });

  it('skips events it does not know, so the server can add new ones', () => {
    const events = createStreamParser().push(
      'event: future\ndata: {"x":1}\n\nevent: delta\ndata: {"text":"ok"}\n\n',
    );
    expect(events).toEqual([{ event: 'delta', data: { text: 'ok' } }]);
  });

  it('rejects an event whose data does not match its schema', () => {
    expect(() => createStreamParser().push('event: usage\ndata: {"promptTokens":"many"}\n\n')).toThrow();
  });
});
