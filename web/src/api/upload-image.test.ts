import { describe, expect, it, vi } from 'vitest';
import { ApiError, createApiClient } from './client';

/** Enough of XMLHttpRequest for one upload: records what was sent, answers as told. */
function fakeXhr(answers: { status: number; body: unknown }[]) {
  const sent: { url: string; headers: Record<string, string>; body: FormData }[] = [];
  class FakeXhr {
    upload: { onprogress: ((e: ProgressEvent) => void) | null } = { onprogress: null };
    onload: (() => void) | null = null;
    onerror: (() => void) | null = null;
    status = 0;
    responseText = '';
    private url = '';
    private headers: Record<string, string> = {};
    open(_method: string, url: string) {
      this.url = url;
    }
    setRequestHeader(name: string, value: string) {
      this.headers[name] = value;
    }
    send(body: FormData) {
      sent.push({ url: this.url, headers: this.headers, body });
      this.upload.onprogress?.({ lengthComputable: true, loaded: 50, total: 100 } as ProgressEvent);
      const answer = answers.shift()!;
      this.status = answer.status;
      this.responseText = JSON.stringify(answer.body);
      queueMicrotask(() => this.onload?.());
    }
  }
  return { Xhr: FakeXhr as unknown as typeof XMLHttpRequest, sent };
}

const image = { id: 'i1', contentType: 'image/png', size: 9, width: 2, height: 3 };

describe('uploadImage', () => {
  it('posts the file as field "file" with the CSRF token, reports progress, and returns the image', async () => {
    const fetch = vi.fn(async () =>
      Response.json(
        { user: { id: 'u' }, csrfToken: 'tok-1' },
        { headers: { 'content-type': 'application/json' } },
      ),
    );
    const api = createApiClient({ fetch });
    await api.session();
    const { Xhr, sent } = fakeXhr([{ status: 201, body: { image } }]);
    const progress = vi.fn();
    const file = new File(['png'], 'cat.png', { type: 'image/png' });

    expect(await api.uploadImage(file, progress, Xhr)).toEqual(image);
    expect(sent[0]!.url).toBe('/api/images');
    expect(sent[0]!.headers['x-csrf-token']).toBe('tok-1');
    expect((sent[0]!.body.get('file') as File).name).toBe('cat.png');
    expect(progress).toHaveBeenCalledWith(0.5);
  });

  it("rejects with the server's error, so the composer can show its sentence", async () => {
    const api = createApiClient({ fetch: vi.fn() });
    const { Xhr } = fakeXhr([
      { status: 413, body: { error: { code: 'too_large', message: 'Images can be at most 20 MB.' } } },
    ]);
    const err = await api.uploadImage(new File(['x'], 'big.png'), undefined, Xhr).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 413, code: 'too_large', message: 'Images can be at most 20 MB.' });
  });
});
