import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/preact';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Document } from '../../../shared/contracts/documents';
import { api } from '../api';
import { DIRECT_UPLOAD_MAX_BYTES } from '../api/client';
import { SessionProvider, useSession } from '../session';
import DocumentsPage from './DocumentsPage';
import { POLL_INTERVAL_MS, uploadFile } from './use-documents';

const doc = (over: Partial<Document> = {}): Document => ({
  id: 'd1',
  name: 'notes.txt',
  contentType: 'text/plain',
  size: 120,
  source: 'upload',
  status: 'ready',
  error: null,
  pages: 1,
  chunkCount: 1,
  progress: 1,
  createdAt: '2026-01-01T00:00:00Z',
  ...over,
});

beforeAll(() => {
  // jsdom has no <dialog> methods.
  const proto = HTMLDialogElement.prototype as { showModal?: () => void; close?: () => void };
  if (typeof proto.showModal !== 'function') {
    proto.showModal = function (this: HTMLDialogElement) {
      this.open = true;
    };
    proto.close = function (this: HTMLDialogElement) {
      this.open = false;
    };
  }
});

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
  vi.useRealTimers();
});

function signedIn() {
  vi.spyOn(api, 'session').mockResolvedValue({
    user: { id: 'user-42', email: 'v@example.com', identities: ['password'] } as never,
    csrfToken: 't',
  });
}

function WhenSignedIn({ put }: { put: Parameters<typeof DocumentsPage>[0]['put'] }) {
  const { state } = useSession();
  return state.status === 'signed-in' ? <DocumentsPage put={put} /> : null;
}

const renderPage = (put = vi.fn()) =>
  render(
    <SessionProvider>
      <WhenSignedIn put={put} />
    </SessionProvider>,
  );

describe('uploadFile', () => {
  it('sends small files through POST /api/documents and larger ones through an upload link', async () => {
    const small = new File(['x'.repeat(100)], 'small.txt', { type: 'text/plain' });
    const large = new File([new Uint8Array(DIRECT_UPLOAD_MAX_BYTES + 1)], 'large.pdf', {
      type: 'application/pdf',
    });
    const direct = vi.spyOn(api, 'uploadDocument').mockResolvedValue(doc({ id: 's', status: 'processing' }));
    const link = vi.spyOn(api, 'documentUploadUrl').mockResolvedValue({
      document: doc({ id: 'l', status: 'processing' }),
      uploadUrl: 'http://blob/inbox/x?sig=1',
      expiresAt: '2026-01-01T00:10:00Z',
    });
    const put = vi.fn((_url: string, _file: Blob, progress?: (f: number) => void) => {
      progress?.(0.5);
      return Promise.resolve();
    });
    const progress = vi.fn();

    expect((await uploadFile(api, small, progress, put)).id).toBe('s');
    expect(direct).toHaveBeenCalledWith(small);
    expect(link).not.toHaveBeenCalled();
    expect(put).not.toHaveBeenCalled();

    expect((await uploadFile(api, large, progress, put)).id).toBe('l');
    expect(link).toHaveBeenCalledWith({
      name: 'large.pdf',
      size: DIRECT_UPLOAD_MAX_BYTES + 1,
      contentType: 'application/pdf',
    });
    expect(put).toHaveBeenCalledWith('http://blob/inbox/x?sig=1', large, progress);
    expect(progress).toHaveBeenCalledWith(0.5);
    expect(direct).toHaveBeenCalledTimes(1);
  });
});

describe('DocumentsPage', () => {
  it('shows status, progress and errors, and polls only while a document is processing', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    signedIn();
    const list = vi
      .spyOn(api, 'listDocuments')
      .mockResolvedValueOnce({
        documents: [
          doc({ id: 'p', name: 'big.pdf', status: 'processing', progress: 0.4 }),
          doc({
            id: 'f',
            name: 'scan.pdf',
            status: 'failed',
            error: 'The PDF has no text layer. Run OCR first.',
          }),
        ],
      })
      .mockResolvedValue({
        documents: [
          doc({ id: 'p', name: 'big.pdf' }),
          doc({
            id: 'f',
            name: 'scan.pdf',
            status: 'failed',
            error: 'The PDF has no text layer. Run OCR first.',
          }),
        ],
      });
    renderPage();
    await screen.findByText('Processing 40%');
    expect(
      screen.getByRole('progressbar', { name: 'Processing big.pdf' }).getAttribute('aria-valuenow'),
    ).toBe('40');
    expect(screen.getByText('The PDF has no text layer. Run OCR first.')).toBeTruthy();
    expect(screen.getByTestId('inbox-path').textContent).toBe('inbox/user-42/');
    expect(list).toHaveBeenCalledTimes(1);

    await act(async () => {
      await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS + 10);
    });
    await screen.findByText('Ready');
    expect(list).toHaveBeenCalledTimes(2);

    // Nothing is processing any more: no more requests.
    await act(async () => {
      await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS * 5);
    });
    expect(list).toHaveBeenCalledTimes(2);
  });

  it('deletes a document after the confirmation, and offers its original as a download', async () => {
    signedIn();
    vi.spyOn(api, 'listDocuments').mockResolvedValue({ documents: [doc()] });
    const del = vi.spyOn(api, 'deleteDocument').mockResolvedValue(undefined);
    renderPage();
    const download = await screen.findByRole('link', { name: 'Download notes.txt' });
    expect(download.getAttribute('href')).toBe('/api/documents/d1/file');

    fireEvent.click(screen.getByRole('button', { name: 'Delete notes.txt' }));
    const dialog = screen.getByRole('dialog', { hidden: true });
    expect(del).not.toHaveBeenCalled();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete', hidden: true }));
    await waitFor(() => expect(del).toHaveBeenCalledWith('d1'));
    await screen.findByText('No documents yet.');
  });

  it('uploads chosen files and lists the new document', async () => {
    signedIn();
    vi.spyOn(api, 'listDocuments').mockResolvedValue({ documents: [] });
    const direct = vi
      .spyOn(api, 'uploadDocument')
      .mockResolvedValue(doc({ id: 'n', name: 'fact.txt', status: 'processing', progress: 0 }));
    renderPage();
    await screen.findByText('No documents yet.');
    const input = screen.getByLabelText<HTMLInputElement>('Upload documents');
    const file = new File(['hello'], 'fact.txt', { type: 'text/plain' });
    Object.defineProperty(input, 'files', { value: [file], configurable: true });
    fireEvent.change(input);
    await screen.findByText('fact.txt');
    expect(direct).toHaveBeenCalledWith(file);
    expect(screen.getByText('Processing 0%')).toBeTruthy();
  });
});
