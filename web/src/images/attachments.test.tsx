import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { useState } from 'preact/hooks';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Image } from '../../../shared/contracts/images';
import type { Model } from '../../../shared/contracts/models';
import { api, ApiError } from '../api';
import type { UploadProgress } from '../api/client';
import type { DraftUpdate } from '../chat/drafts';
import { Composer } from '../components/Composer';
import { ModelPicker } from '../components/ModelPicker';
import { MessageImages } from './ImageAttach';

const model = (vision: boolean): Model => ({
  id: vision ? 'x/sees' : 'x/blind',
  name: vision ? 'X: Sees' : 'X: Blind',
  contextLength: 8000,
  free: true,
  vision,
  reasoning: false,
  pricing: { promptPerMTok: 0, completionPerMTok: 0 },
});

beforeAll(() => {
  // jsdom has neither object URLs nor scrolling.
  (Element.prototype as { scrollIntoView?: () => void }).scrollIntoView ??= () => undefined;
  URL.createObjectURL = vi.fn(() => 'blob:preview');
  URL.revokeObjectURL = vi.fn();
});
afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const png = (name = 'cat.png') => new File([new Uint8Array([137, 80, 78, 71])], name, { type: 'image/png' });
const stored = (id: string): Image => ({ id, contentType: 'image/png', size: 4, width: 10, height: 10 });

/** Uploads that the test finishes by hand, one per file, in order. */
function controlledUploads() {
  const pending: {
    file: File;
    progress?: UploadProgress;
    resolve: (i: Image) => void;
    reject: (e: unknown) => void;
  }[] = [];
  const spy = vi.spyOn(api, 'uploadImage').mockImplementation(
    (file, progress) =>
      new Promise<Image>((resolve, reject) => {
        pending.push({ file, progress, resolve, reject });
      }),
  );
  return { pending, spy };
}

function Harness(props: { model: Model; onSend: (text: string, o?: object) => Promise<boolean> }) {
  const [draft, setDraft] = useState('');
  const change = (u: DraftUpdate) => setDraft((c) => (typeof u === 'function' ? u(c) : u));
  return (
    <Composer
      model={props.model}
      historyChars={0}
      busy={false}
      draft={draft}
      onDraftChange={change}
      onSend={props.onSend}
      onStop={() => undefined}
    />
  );
}

async function setup(vision = true, onSend = vi.fn(async (_text: string, _o?: object) => true)) {
  render(<Harness model={model(vision)} onSend={onSend} />);
  const attach = await screen.findByRole<HTMLButtonElement>('button', { name: 'Attach images' });
  const input = screen.getByTestId<HTMLInputElement>('image-input');
  const text = screen.getByLabelText<HTMLTextAreaElement>('Message');
  const send = screen.getByRole<HTMLButtonElement>('button', { name: 'Send message' });
  const choose = (...files: File[]) => fireEvent.change(input, { target: { files } });
  return { attach, input, text, send, onSend, choose };
}

describe('composer attachments', () => {
  it('uploads a chosen image with progress, shows its thumbnail, and sends its id with the message', async () => {
    const { pending } = controlledUploads();
    const { input, text, send, onSend, choose } = await setup();
    expect(input.accept).toBe('image/*');

    choose(png());
    const bar = await screen.findByRole<HTMLProgressElement>('progressbar', { name: 'Uploading cat.png' });
    pending[0]!.progress?.(0.4);
    await waitFor(() => expect(bar.value).toBe(0.4));
    fireEvent.input(text, { target: { value: 'What breed?' } });
    // Not before the upload is done.
    expect(send.disabled).toBe(true);

    pending[0]!.resolve(stored('img-1'));
    await waitFor(() => expect(screen.queryByRole('progressbar')).toBeNull());
    const thumb = screen.getByRole('button', { name: 'View image 1: cat.png' }).querySelector('img')!;
    // The stored, re-encoded image is what is shown once uploaded.
    expect(thumb.getAttribute('src')).toBe('/api/images/img-1');
    expect(send.disabled).toBe(false);

    fireEvent.click(send);
    expect(onSend).toHaveBeenCalledWith('What breed?', { imageIds: ['img-1'] });
    await waitFor(() => expect(screen.queryByRole('list', { name: 'Attached images' })).toBeNull());
  });

  it('takes a pasted picture, and leaves pasted text to the text box', async () => {
    const { pending, spy } = controlledUploads();
    const { text } = await setup();
    fireEvent.paste(text, { clipboardData: { files: [], types: ['text/plain'] } });
    expect(spy).not.toHaveBeenCalled();

    fireEvent.paste(text, { clipboardData: { files: [png('image.png')], types: ['Files'] } });
    expect(pending.map((p) => p.file.name)).toEqual(['image.png']);
    expect(await screen.findByRole('button', { name: 'View image 1: image.png' })).toBeTruthy();
  });

  it('takes dropped images, at most 4, and says why the rest were left', async () => {
    const { pending } = controlledUploads();
    await setup();
    const wrap = document.querySelector('.composer-wrap')!;
    const drop = (files: File[]) => fireEvent.drop(wrap, { dataTransfer: { files, types: ['Files'] } });

    drop([new File(['hello'], 'notes.txt', { type: 'text/plain' })]);
    expect(await screen.findByText('Only images can be attached to a message.')).toBeTruthy();
    expect(pending).toHaveLength(0);

    drop([png('1.png'), png('2.png'), png('3.png'), png('4.png'), png('5.png')]);
    expect(pending.map((p) => p.file.name)).toEqual(['1.png', '2.png', '3.png', '4.png']);
    expect(await screen.findByText('A message can carry at most 4 images.')).toBeTruthy();
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Attach images' }).disabled).toBe(true);
  });

  it('removes an image before sending, and shows why an upload was refused', async () => {
    const { pending } = controlledUploads();
    const { text, send, onSend, choose } = await setup();
    choose(png('keep.png'), png('drop.png'));
    pending[0]!.resolve(stored('keep'));
    pending[1]!.reject(new ApiError(415, 'unsupported_type', 'We take PNG, JPEG, WebP and GIF images.'));
    expect((await screen.findByRole('alert')).textContent).toContain(
      'We take PNG, JPEG, WebP and GIF images.',
    );
    fireEvent.input(text, { target: { value: 'Look' } });
    // A refused image must go before the message can.
    expect(send.disabled).toBe(true);

    fireEvent.click(screen.getByRole('button', { name: 'Remove image 2: drop.png' }));
    await waitFor(() => expect(send.disabled).toBe(false));
    fireEvent.click(send);
    expect(onSend).toHaveBeenCalledWith('Look', { imageIds: ['keep'] });
  });

  it('warns, and does not send, when the model cannot read images', async () => {
    const { pending } = controlledUploads();
    const { text, send, onSend, choose } = await setup(false);
    choose(png());
    pending[0]!.resolve(stored('img'));
    fireEvent.input(text, { target: { value: 'What is it?' } });
    expect((await screen.findByRole('alert')).textContent).toContain('X: Blind cannot read images');
    expect(send.disabled).toBe(true);
    fireEvent.keyDown(text, { key: 'Enter' });
    expect(onSend).not.toHaveBeenCalled();
  });

  it('gives the images back with the text when the message is refused', async () => {
    const { pending } = controlledUploads();
    const onSend = vi.fn(async () => false);
    const { text, send, choose } = await setup(true, onSend);
    choose(png());
    pending[0]!.resolve(stored('img'));
    fireEvent.input(text, { target: { value: 'Hello' } });
    await waitFor(() => expect(send.disabled).toBe(false));
    fireEvent.click(send);
    await waitFor(() => expect(text.value).toBe('Hello'));
    expect(screen.getByRole('button', { name: 'View image 1: cat.png' })).toBeTruthy();
  });
});

describe('images of sent messages', () => {
  it('opens an image in a viewer on click, and closes it', async () => {
    render(<MessageImages ids={['a', 'b']} />);
    expect(screen.getByRole('img', { name: 'Attached image 2' }).getAttribute('src')).toBe('/api/images/b');
    fireEvent.click(screen.getByRole('button', { name: 'View attached image 2' }));
    const dialog = await screen.findByRole('dialog', { name: 'Attached image 2' });
    expect(dialog.querySelector('img')!.getAttribute('src')).toBe('/api/images/b');
    fireEvent.click(screen.getByRole('button', { name: 'Close' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
  });
});

describe('the model picker with images attached', () => {
  it('flags a model that cannot read them and opens on the Vision models', () => {
    const models = [model(false), model(true)];
    const { rerender } = render(
      <ModelPicker
        models={models}
        selected={models[0]}
        loading={false}
        error={null}
        onSelect={() => undefined}
      />,
    );
    expect(screen.queryByText('No images')).toBeNull();
    rerender(
      <ModelPicker
        models={models}
        selected={models[0]}
        loading={false}
        error={null}
        onSelect={() => undefined}
        needsVision
      />,
    );
    expect(screen.getByText('No images')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: /Model:/ }));
    expect(screen.getByRole('button', { name: 'Vision' }).getAttribute('aria-pressed')).toBe('true');
    expect(screen.getAllByRole('option').map((o) => o.textContent)).toEqual([
      expect.stringContaining('Sees'),
    ]);
  });
});
