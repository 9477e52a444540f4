import type { Dispatch, StateUpdater } from 'preact/hooks';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Model } from '../../../shared/contracts/models';
import { api, isApiError } from '../api';
import { Icon } from '../components/icons';
import { Modal } from '../components/Modal';
import { MAX_ATTACHMENTS, type Attachment } from './attachments';
import '../styles/images.css';

type SetAttachments = Dispatch<StateUpdater<Attachment[]>>;

const ImageIcon = ({ size = 18 }: { size?: number }) => (
  <Icon size={size}>
    <rect x="3" y="3" width="18" height="18" rx="2" />
    <circle cx="8.5" cy="8.5" r="1.5" />
    <path d="m21 15-5-5L5 21" />
  </Icon>
);
const CameraIcon = ({ size = 18 }: { size?: number }) => (
  <Icon size={size}>
    <path d="M14.5 4h-5L7 7H4a2 2 0 0 0-2 2v9a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V9a2 2 0 0 0-2-2h-3l-2.5-3Z" />
    <circle cx="12" cy="13" r="3" />
  </Icon>
);

let seq = 0;
/** The strip shows what the button could not take (too many, not an image); both live in the composer. */
let showNote: ((note: string) => void) | null = null;

/** Takes the image files among `files`, as many as still fit, and uploads each with progress. */
export function attachFiles(files: File[], current: Attachment[], setAttachments: SetAttachments): void {
  const images = files.filter((f) => f.type.startsWith('image/'));
  const room = MAX_ATTACHMENTS - current.length;
  if (images.length < files.length) showNote?.('Only images can be attached to a message.');
  else if (images.length > room) showNote?.(`A message can carry at most ${MAX_ATTACHMENTS} images.`);
  for (const file of images.slice(0, Math.max(0, room))) {
    const key = ++seq;
    const update = (change: Partial<Attachment>) =>
      setAttachments((list) => list.map((a) => (a.key === key ? { ...a, ...change } : a)));
    const preview = URL.createObjectURL(file);
    setAttachments((list) => [...list, { key, name: file.name || 'Pasted image', preview, progress: 0 }]);
    api
      .uploadImage(file, (progress) => update({ progress }))
      .then(
        (image) => {
          update({ image, progress: 1 });
          // From here on the stored (re-encoded) image is shown.
          URL.revokeObjectURL(preview);
        },
        (err: unknown) =>
          update({ error: isApiError(err) ? err.message : 'The image could not be uploaded. Try again.' }),
      );
  }
}

const imageFiles = (list: FileList | null | undefined) => Array.from(list ?? []);

/**
 * The attach button (and, on touch screens, the camera), plus paste and drag and drop onto the
 * composer: every way in leads to `attachFiles`.
 */
export function AttachButton({
  attachments,
  setAttachments,
}: {
  attachments: Attachment[];
  setAttachments: SetAttachments;
}) {
  const picker = useRef<HTMLInputElement>(null);
  const camera = useRef<HTMLInputElement>(null);
  const root = useRef<HTMLSpanElement>(null);
  const latest = useRef(attachments);
  latest.current = attachments;
  const [touch] = useState(() => window.matchMedia?.('(pointer: coarse)').matches ?? false);
  const full = attachments.length >= MAX_ATTACHMENTS;

  useEffect(() => {
    const wrap = root.current?.closest<HTMLElement>('.composer-wrap');
    if (!wrap) return;
    const take = (files: File[]) => attachFiles(files, latest.current, setAttachments);
    const onPaste = (e: ClipboardEvent) => {
      const files = imageFiles(e.clipboardData?.files);
      // Text pastes as text; only a pasted picture is taken.
      if (!files.some((f) => f.type.startsWith('image/'))) return;
      e.preventDefault();
      take(files);
    };
    const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes('Files');
    const onDragOver = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      wrap.classList.add('is-dropping');
    };
    const onDragLeave = (e: DragEvent) => {
      if (!wrap.contains(e.relatedTarget as Node | null)) wrap.classList.remove('is-dropping');
    };
    const onDrop = (e: DragEvent) => {
      wrap.classList.remove('is-dropping');
      if (!hasFiles(e)) return;
      e.preventDefault();
      take(imageFiles(e.dataTransfer?.files));
    };
    wrap.addEventListener('paste', onPaste);
    wrap.addEventListener('dragover', onDragOver);
    wrap.addEventListener('dragleave', onDragLeave);
    wrap.addEventListener('drop', onDrop);
    return () => {
      wrap.removeEventListener('paste', onPaste);
      wrap.removeEventListener('dragover', onDragOver);
      wrap.removeEventListener('dragleave', onDragLeave);
      wrap.removeEventListener('drop', onDrop);
    };
  }, [setAttachments]);

  const chosen = (e: Event) => {
    const input = e.currentTarget as HTMLInputElement;
    attachFiles(imageFiles(input.files), latest.current, setAttachments);
    // The same file can be chosen again after it was removed.
    input.value = '';
  };
  const title = full
    ? `At most ${MAX_ATTACHMENTS} images per message`
    : 'Attach images (or paste, or drop them here)';

  return (
    <span class="attach" ref={root}>
      <input
        ref={picker}
        type="file"
        accept="image/*"
        multiple
        hidden
        data-testid="image-input"
        onChange={chosen}
      />
      <button
        type="button"
        class="icon-button attach-button"
        aria-label="Attach images"
        title={title}
        disabled={full}
        onClick={() => picker.current?.click()}
      >
        <ImageIcon />
      </button>
      {touch && (
        <>
          <input ref={camera} type="file" accept="image/*" capture="environment" hidden onChange={chosen} />
          <button
            type="button"
            class="icon-button attach-button"
            aria-label="Take a photo"
            title={full ? title : 'Take a photo'}
            disabled={full}
            onClick={() => camera.current?.click()}
          >
            <CameraIcon />
          </button>
        </>
      )}
    </span>
  );
}

/** An image at full size, in a modal; Esc or a click outside closes it. */
function ImageViewer({ src, name, onClose }: { src: string; name: string; onClose: () => void }) {
  return (
    <Modal title={name} onClose={onClose} wide>
      <img class="image-viewer-img" src={src} alt={name} />
      <div class="dialog-actions">
        <button type="button" class="button button-secondary" onClick={onClose}>
          Close
        </button>
      </div>
    </Modal>
  );
}

/**
 * The composer's images before sending: thumbnails with upload progress or the reason one was
 * refused, a remove button each, and a warning when the chosen model cannot read them.
 */
export function AttachmentStrip({
  attachments,
  setAttachments,
  model,
}: {
  attachments: Attachment[];
  setAttachments: SetAttachments;
  model: Model | undefined;
}) {
  const [note, setNote] = useState('');
  const [viewing, setViewing] = useState<Attachment | null>(null);
  useEffect(() => {
    showNote = setNote;
    return () => {
      showNote = null;
    };
  }, []);
  useEffect(() => {
    if (!note) return;
    const t = setTimeout(() => setNote(''), 5000);
    return () => clearTimeout(t);
  }, [note]);

  const remove = (a: Attachment) => {
    if (!a.image) URL.revokeObjectURL(a.preview);
    setAttachments((list) => list.filter((x) => x.key !== a.key));
  };
  const src = (a: Attachment) => (a.image ? api.imageUrl(a.image.id) : a.preview);
  const blind = attachments.length > 0 && model && !model.vision;

  return (
    <div class="attachments">
      {attachments.length > 0 && (
        <ul class="attachment-list" aria-label="Attached images">
          {attachments.map((a, i) => (
            <li key={a.key} class={a.error ? 'attachment is-failed' : 'attachment'}>
              <button
                type="button"
                class="attachment-thumb"
                aria-label={`View image ${i + 1}: ${a.name}`}
                onClick={() => setViewing(a)}
              >
                <img src={src(a)} alt="" />
              </button>
              {!a.image && !a.error && (
                <progress
                  class="attachment-progress"
                  aria-label={`Uploading ${a.name}`}
                  max={1}
                  value={a.progress}
                />
              )}
              <button
                type="button"
                class="attachment-remove"
                aria-label={`Remove image ${i + 1}: ${a.name}`}
                title="Remove"
                onClick={() => remove(a)}
              >
                ×
              </button>
              {a.error && (
                <span class="attachment-error" role="alert">
                  {a.error}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      {blind && (
        <p class="attachment-warning" role="alert">
          {model.name} cannot read images. Pick a model marked Vision in the model list, or remove the images.
        </p>
      )}
      <p class="attachment-note" role="status">
        {note}
      </p>
      {viewing && <ImageViewer src={src(viewing)} name={viewing.name} onClose={() => setViewing(null)} />}
    </div>
  );
}

/** The images a sent message carries: thumbnails that open the viewer. */
export function MessageImages({ ids }: { ids: string[] }) {
  const [open, setOpen] = useState<number | null>(null);
  return (
    <div class="message-images">
      {ids.map((id, i) => (
        <button
          key={id}
          type="button"
          class="message-image"
          aria-label={`View attached image ${i + 1}`}
          onClick={() => setOpen(i)}
        >
          <img src={api.imageUrl(id)} alt={`Attached image ${i + 1}`} loading="lazy" />
        </button>
      ))}
      {open !== null && ids[open] && (
        <ImageViewer
          src={api.imageUrl(ids[open])}
          name={`Attached image ${open + 1}`}
          onClose={() => setOpen(null)}
        />
      )}
    </div>
  );
}
