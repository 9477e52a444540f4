import type { Ref } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Model } from '../../../shared/contracts/models';
import type { QueuedMessage, SendOptions } from '../chat/use-chat';
import { DocumentPicker } from '../documents/DocumentPicker';
import type { DraftUpdate } from '../chat/drafts';
import { estimateCredits, estimateTokens, formatCredits, formatDollars, formatNumber } from '../format';
import type { Attachment } from '../images/attachments';
import type { AttachButton as Button, AttachmentStrip as Strip } from '../images/ImageAttach';
import { lazyComponent } from '../lazy';
import { CloseIcon, SendIcon, StopIcon } from './icons';

// Uploading, thumbnails, paste and drop: their code loads with the composer, not before it.
const images = () => import('../images/ImageAttach');
const AttachButton = lazyComponent<Parameters<typeof Button>[0]>(
  () => images().then((m) => ({ default: m.AttachButton })),
  { inline: true },
);
const AttachmentStrip = lazyComponent<Parameters<typeof Strip>[0]>(
  () => images().then((m) => ({ default: m.AttachmentStrip })),
  { inline: true },
);

/** Roughly a page of text: the composer grows to this, then scrolls. */
const MAX_HEIGHT_PX = 240;
/** What a typical answer runs to, for the price hint. */
const TYPICAL_REPLY_TOKENS = 500;

/** The reply lengths offered (null: the conversation's or the server's default). */
export const REPLY_LENGTHS: readonly (number | null)[] = [null, 500, 1000, 2000, 4000, 8000, 16_000, 32_000];

/** What sending this would cost, before it is sent: the whole conversation is part of the prompt. */
function PriceHint({
  model,
  draft,
  historyChars,
  maxTokens,
}: {
  model: Model | undefined;
  draft: string;
  historyChars: number;
  maxTokens: number | null;
}) {
  if (!model) return null;
  if (model.free) return <span>Free model · no credits used</span>;
  const replyTokens = Math.min(TYPICAL_REPLY_TOKENS, maxTokens ?? TYPICAL_REPLY_TOKENS);
  const promptTokens = Math.min(estimateTokens(draft) + Math.ceil(historyChars / 4), model.contextLength);
  const prompt = estimateCredits(model, promptTokens, 0);
  const reply = estimateCredits(model, 0, replyTokens);
  return (
    <span title="Estimate: about 4 characters per token. You pay for the tokens actually used.">
      ≈ {formatCredits(prompt + reply)} ({formatDollars(prompt + reply)}) for a {replyTokens}-token reply
    </span>
  );
}

/** A compact choice of how long a reply may be (sent as `maxTokens`). */
function ReplyLength({ value, onChange }: { value: number | null; onChange: (v: number | null) => void }) {
  return (
    <label class="reply-length" title="The longest reply you will pay for">
      <span class="reply-length-label">Reply length</span>
      <select
        value={value === null ? '' : String(value)}
        onChange={(e) => {
          const v = e.currentTarget.value;
          onChange(v === '' ? null : Number(v));
        }}
      >
        {REPLY_LENGTHS.map((n) => (
          <option key={n ?? 'default'} value={n === null ? '' : String(n)}>
            {n === null ? 'Default length' : `Up to ${formatNumber(n)} tokens`}
          </option>
        ))}
      </select>
    </label>
  );
}

function QueuedList({ queued, onUnqueue }: { queued: QueuedMessage[]; onUnqueue: (id: number) => void }) {
  if (!queued.length) return null;
  return (
    <ul class="queued" aria-label="Queued messages">
      {queued.map((q) => (
        <li key={q.id} class="queued-item">
          <span class="queued-label">Sends next:</span>
          <span class="queued-text">{q.content}</span>
          <button
            type="button"
            class="icon-button icon-button-small"
            aria-label="Take back the queued message"
            title="Take back into the message box"
            onClick={() => onUnqueue(q.id)}
          >
            <CloseIcon size={14} />
          </button>
        </li>
      ))}
    </ul>
  );
}

interface ComposerProps {
  model: Model | undefined;
  historyChars: number;
  /** A reply is being written: Stop is offered, and a message sent now waits for it to end. */
  busy: boolean;
  /** Why sending is impossible right now (the models could not be loaded), if it is. */
  blockedReason?: string;
  /** Shown as the placeholder while a message would wait (the models are loading). */
  waitingReason?: string;
  draft: string;
  onDraftChange: (update: DraftUpdate) => void;
  maxTokens?: number | null;
  onMaxTokensChange?: (value: number | null) => void;
  queued?: QueuedMessage[];
  onUnqueue?: (id: number) => void;
  /** Resolves false when the message was refused: the text comes back. */
  onSend: (text: string, options?: SendOptions) => Promise<boolean>;
  onStop: () => void;
  inputRef?: Ref<HTMLTextAreaElement>;
  /** Whether images are attached (the model picker warns when its model reads none). */
  onImagesChange?: (attached: boolean) => void;
}

export function Composer({
  model,
  historyChars,
  busy,
  blockedReason,
  waitingReason,
  draft,
  onDraftChange,
  maxTokens = null,
  onMaxTokensChange,
  queued = [],
  onUnqueue,
  onSend,
  onStop,
  inputRef,
  onImagesChange,
}: ComposerProps) {
  const ownRef = useRef<HTMLTextAreaElement | null>(null);
  /** The documents the next messages are restricted to (none: all ready documents). */
  const [documentIds, setDocumentIds] = useState<string[]>([]);
  const [attachments, setAttachments] = useState<Attachment[]>([]);
  const attached = attachments.length > 0;
  useEffect(() => onImagesChange?.(attached), [attached]);

  // Grow with the content up to a limit; measured before paint so the page never flickers.
  useLayoutEffect(() => {
    const el = ownRef.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, MAX_HEIGHT_PX)}px`;
    el.style.overflowY = el.scrollHeight > MAX_HEIGHT_PX ? 'auto' : 'hidden';
  }, [draft]);

  // Stop disappears with the reply it stopped; focus would otherwise fall to the page.
  const wasBusy = useRef(busy);
  useLayoutEffect(() => {
    const ended = wasBusy.current && !busy;
    wasBusy.current = busy;
    if (!ended) return;
    if (document.activeElement === null || document.activeElement === document.body) ownRef.current?.focus();
  }, [busy]);

  // Images go once all are uploaded, and only to a model that reads them.
  const imagesReady = attachments.every((a) => a.image) && !(attached && model && !model.vision);
  const canSend = !blockedReason && draft.trim().length > 0 && imagesReady;

  const submit = async () => {
    if (!canSend) return;
    const text = draft;
    const sentImages = attachments;
    onDraftChange('');
    setAttachments([]);
    const options = {
      ...(documentIds.length ? { documentIds } : {}),
      ...(attached ? { imageIds: sentImages.map((a) => a.image!.id) } : {}),
    };
    // A refusal (no credits, rate limit) gives the text and the images back.
    const sent = Object.keys(options).length ? onSend(text, options) : onSend(text);
    if (!(await sent)) {
      onDraftChange((current) => current || text);
      setAttachments((current) => (current.length ? current : sentImages));
    }
  };

  const sendButton = (
    <button
      type="submit"
      class="composer-button"
      aria-label="Send message"
      title={busy ? 'Send when the reply ends (Enter)' : 'Send (Enter)'}
      disabled={!canSend}
    >
      <SendIcon size={18} />
    </button>
  );

  return (
    <div class="composer-wrap">
      {onUnqueue && <QueuedList queued={queued} onUnqueue={onUnqueue} />}
      <AttachmentStrip attachments={attachments} setAttachments={setAttachments} model={model} />
      <form
        class={busy ? 'composer is-busy' : 'composer'}
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <AttachButton attachments={attachments} setAttachments={setAttachments} />
        <label for="composer-input" class="visually-hidden">
          Message
        </label>
        <textarea
          id="composer-input"
          ref={(el) => {
            ownRef.current = el;
            if (typeof inputRef === 'function') inputRef(el);
            else if (inputRef) inputRef.current = el;
          }}
          rows={1}
          placeholder={
            blockedReason ?? waitingReason ?? (busy ? 'Write your next message' : 'Message GloriaMundo')
          }
          aria-describedby="composer-hint"
          value={draft}
          onInput={(e) => onDraftChange(e.currentTarget.value)}
          onKeyDown={(e) => {
            // Enter sends, Shift+Enter is a new line; an IME composing text owns Enter.
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              void submit();
            }
          }}
        />
        {busy && draft.trim() && sendButton}
        {busy ? (
          <button
            type="button"
            class="composer-button is-stop"
            aria-label="Stop reply"
            title="Stop (Esc)"
            onClick={onStop}
          >
            <StopIcon />
          </button>
        ) : (
          sendButton
        )}
      </form>
      <div class="composer-footer">
        {onMaxTokensChange && <ReplyLength value={maxTokens} onChange={onMaxTokensChange} />}
        <DocumentPicker selected={documentIds} onChange={setDocumentIds} />
        <p id="composer-hint" class="composer-hint">
          <PriceHint model={model} draft={draft} historyChars={historyChars} maxTokens={maxTokens} />
          <span class="composer-keys">
            <kbd>Enter</kbd> to send · <kbd>Shift</kbd>+<kbd>Enter</kbd> new line
            {busy ? ' · Esc to stop' : ''}
          </span>
        </p>
      </div>
    </div>
  );
}
