import { describe, expect, it } from 'vitest';
import { isApiError, putBlob } from '../api/client';

/** Just enough XMLHttpRequest for putBlob: records the request and plays back progress. */
function fakeXhr(status: number) {
  const sent: { method?: string; url?: string; headers: Record<string, string>; body?: unknown } = {
    headers: {},
  };
  class FakeXhr {
    status = 0;
    upload: { onprogress: ((e: ProgressEvent) => void) | null } = { onprogress: null };
    onload: (() => void) | null = null;
    onerror: (() => void) | null = null;
    open(method: string, url: string) {
      sent.method = method;
      sent.url = url;
    }
    setRequestHeader(name: string, value: string) {
      sent.headers[name] = value;
    }
    send(body: unknown) {
      sent.body = body;
      this.upload.onprogress?.({ lengthComputable: true, loaded: 25, total: 100 } as ProgressEvent);
      this.status = status;
      this.onload?.();
    }
  }
  return { Xhr: FakeXhr as unknown as typeof XMLHttpRequest, sent };
}

describe('putBlob', () => {
  it('PUTs the bytes as a block blob and reports progress', async () => {
    const { Xhr, sent } = fakeXhr(201);
    const file = new Blob(['abc'], { type: 'text/plain' });
    const seen: number[] = [];
    await putBlob('http://blob/x?sig=1', file, (f) => seen.push(f), Xhr);
    expect(sent).toMatchObject({
      method: 'PUT',
      url: 'http://blob/x?sig=1',
      headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': 'text/plain' },
      body: file,
    });
    expect(seen).toEqual([0.25, 1]);
  });

  it('turns a refusal into an ApiError with a sentence', async () => {
    const { Xhr } = fakeXhr(403);
    const err: unknown = await putBlob('http://blob/x', new Blob(['a']), undefined, Xhr).catch(
      (e: unknown) => e,
    );
    expect(isApiError(err)).toBe(true);
    expect((err as Error).message).toMatch(/refused the file/);
  });
});
