import { describe, expect, it } from 'vitest';
import { serverSentEvents, type ServerSentEvent } from './sse';

const enc = new TextEncoder();
async function read(...chunks: string[]): Promise<ServerSentEvent[]> {
  async function* body() {
    for (const c of chunks) yield enc.encode(c);
  }
  const out: ServerSentEvent[] = [];
  for await (const e of serverSentEvents(body())) out.push(e);
  return out;
}

describe('server-sent events', () => {
  it('reads data events and skips comment lines such as OpenRouter’s keep-alive', async () => {
    expect(await read(': OPENROUTER PROCESSING\n\n', 'data: {"a":1}\n\n', 'data: [DONE]\n\n')).toEqual([
      { event: null, data: '{"a":1}' },
      { event: null, data: '[DONE]' },
    ]);
  });

  it('puts an event back together across chunk boundaries, wherever they fall', async () => {
    const text = 'event: note\ndata: {"text":"héllo"}\n\ndata: second\n\n';
    const bytes = enc.encode(text);
    const whole = await read(text);
    expect(whole).toEqual([
      { event: 'note', data: '{"text":"héllo"}' },
      { event: null, data: 'second' },
    ]);
    // Every split point, including inside the two bytes of "é".
    for (let i = 1; i < bytes.length; i++) {
      async function* body() {
        yield bytes.slice(0, i);
        yield bytes.slice(i);
      }
      const out: ServerSentEvent[] = [];
      for await (const e of serverSentEvents(body())) out.push(e);
      expect(out).toEqual(whole);
    }
  });

  it('takes CRLF and CR line ends, a CRLF split across chunks included', async () => {
    expect(await read('data: a\r\n\r\ndata: b\r\r', 'data: c\r', '\n\r\n')).toEqual([
      { event: null, data: 'a' },
      { event: null, data: 'b' },
      { event: null, data: 'c' },
    ]);
  });

  it('joins the data lines of one event, and keeps what a stream ends with even without its blank line', async () => {
    expect(await read('data: one\ndata: two\n\ndata:no-space\ndata: last')).toEqual([
      { event: null, data: 'one\ntwo' },
      { event: null, data: 'no-space\nlast' },
    ]);
  });
});
