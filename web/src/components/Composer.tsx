import type { Ref } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Model } from '../../../shared/contracts/models';
import { estimateCredits, estimateTokens, formatCredits, formatDollars } from '../format';
import { SendIcon, StopIcon } from './icons';

/** Roughly a page of text: the composer grows to this, then scrolls. */
const MAX_HEIGHT_PX = 240;
/** What a typical answer runs to, for the price hint. */
const TYPICAL_REPLY_TOKENS = 500;

/** What sending this would cost, before it is sent: the whole conversation is part of the prompt. */
function PriceHint({
  model,
  draft,
  historyChars,
}: {
  model: Model | undefined;
  draft: string;
  historyChars: number;
}) {
  if (!model) return null;
  if (model.free) return <span>Free model · no credits used</span>;
  const promptTokens = Math.min(estimateTokens(draft) + Math.ceil(historyChars / 4), model.contextLength);
  const prompt = estimateCredits(model, promptTokens, 0);
  const reply = estimateCredits(model, 0, TYPICAL_REPLY_TOKENS);
  return (
    <span title="Estimate: about 4 characters per token. You pay for the tokens actually used.">
      ≈ {formatCredits(prompt + reply)} ({formatDollars(prompt + reply)}) for a {TYPICAL_REPLY_TOKENS}-token
      reply
    </span>
  );
}

interface ComposerProps {
  model: Model | undefined;
  historyChars: number;
  /** A message is being sent or a reply is being written. */
  busy: boolean;
  /** Why sending is impossible right now (no model), if it is. */
  blockedReason?: string;
  onSend: (text: string) => Promise<boolean>;
  onStop: () => void;
  inputRef?: Ref<HTMLTextAreaElement>;
}

export function Composer({
  model,
  historyChars,
  busy,
  blockedReason,
  onSend,
  onStop,
  inputRef,
}: ComposerProps) {
  const [draft, setDraft] = useState('');
  const ownRef = useRef<HTMLTextAreaElement | null>(null);
  const hadFocus = useRef(false);

  // Grow with the content up to a limit; measured before paint so the page never flickers.
  useLayoutEffect(() => {
    const el = ownRef.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, MAX_HEIGHT_PX)}px`;
    el.style.overflowY = el.scrollHeight > MAX_HEIGHT_PX ? 'auto' : 'hidden';
  }, [draft]);

  // A disabled textarea loses focus; give it back when the reply is done. (Stop disappears with
  // the reply it stopped, and focus would otherwise fall to the page.)
  const wasBusy = useRef(busy);
  useLayoutEffect(() => {
    const ended = wasBusy.current && !busy;
    wasBusy.current = busy;
    if (!ended) return;
    const lost = document.activeElement === null || document.activeElement === document.body;
    if (hadFocus.current || lost) ownRef.current?.focus();
    hadFocus.current = false;
  }, [busy]);

  const canSend = !busy && !blockedReason && draft.trim().length > 0;

  const submit = async () => {
    if (!canSend) return;
    const text = draft;
    hadFocus.current = document.activeElement === ownRef.current;
    setDraft('');
    // A refusal (no credits, rate limit) gives the text back.
    if (!(await onSend(text))) setDraft((current) => current || text);
  };

  return (
    <div class="composer-wrap">
      <form
        class={busy ? 'composer is-busy' : 'composer'}
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
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
          placeholder={blockedReason ?? 'Message GloriaMundo'}
          aria-describedby="composer-hint"
          disabled={busy}
          value={draft}
          onInput={(e) => setDraft(e.currentTarget.value)}
          onKeyDown={(e) => {
            // Enter sends, Shift+Enter is a new line; an IME composing text owns Enter.
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              void submit();
            }
          }}
        />
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
          <button
            type="submit"
            class="composer-button"
            aria-label="Send message"
            title="Send (Enter)"
            disabled={!canSend}
          >
            <SendIcon size={18} />
          </button>
        )}
      </form>
      <p id="composer-hint" class="composer-hint">
        <PriceHint model={model} draft={draft} historyChars={historyChars} />
        <span class="composer-keys">
          <kbd>Enter</kbd> to send · <kbd>Shift</kbd>+<kbd>Enter</kbd> new line{busy ? ' · Esc to stop' : ''}
        </span>
      </p>
    </div>
  );
}
