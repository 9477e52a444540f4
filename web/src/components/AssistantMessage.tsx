import { useState } from 'preact/hooks';
import type { Message } from '../../../shared/contracts/conversations';
import type { Model } from '../../../shared/contracts/models';
import { formatCredits, formatDollars, formatNumber } from '../format';
import { Markdown } from '../markdown/Markdown';
import { AlertIcon, BrainIcon, CheckIcon, CopyIcon, RetryIcon } from './icons';
import { shortModelName } from './ModelPicker';

/** Error messages come with or without a final period; the text after one needs it. */
const sentence = (s: string) => (/[.!?]$/.test(s.trim()) ? s.trim() : `${s.trim()}.`);

function ReasoningBlock({ text, thinking }: { text: string; thinking: boolean }) {
  return (
    <details class="reasoning" open={thinking}>
      <summary>
        <BrainIcon size={15} />
        {thinking ? 'Thinking…' : 'Reasoning'}
      </summary>
      <div class="reasoning-body">
        <Markdown text={text} streaming={thinking} />
      </div>
    </details>
  );
}

function CopyReplyButton({ text }: { text: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      class="icon-button icon-button-small"
      aria-label={copied ? 'Copied' : 'Copy reply'}
      title="Copy reply"
      onClick={() => {
        void navigator.clipboard?.writeText(text).then(() => {
          setCopied(true);
          setTimeout(() => setCopied(false), 1500);
        });
      }}
    >
      {copied ? <CheckIcon size={15} /> : <CopyIcon size={15} />}
    </button>
  );
}

/** Who answered, what it cost: tokens and credits as billed (message.usage). */
function ReplyMeta({ message, model }: { message: Message; model: Model | undefined }) {
  const usage = message.usage;
  const modelName = model ? shortModelName(model) : message.model;
  return (
    <div class="reply-meta">
      {message.content && <CopyReplyButton text={message.content} />}
      {message.status === 'stopped' && <span class="badge badge-muted">Stopped</span>}
      {modelName && <span class="reply-model">{modelName}</span>}
      {usage && (
        <span
          class="reply-usage"
          title={`${formatNumber(usage.promptTokens)} prompt + ${formatNumber(usage.completionTokens)} completion tokens`}
        >
          {formatNumber(usage.promptTokens + usage.completionTokens)} tokens ·{' '}
          {usage.credits === 0 ? 'free' : `${formatCredits(usage.credits)} (${formatDollars(usage.credits)})`}
        </span>
      )}
    </div>
  );
}

interface AssistantMessageProps {
  message: Message;
  model: Model | undefined;
  onRetry: (messageId: string) => void;
  canRetry: boolean;
}

export function AssistantMessage({ message, model, onRetry, canRetry }: AssistantMessageProps) {
  const streaming = message.status === 'streaming';
  const thinking = streaming && !message.content;
  return (
    <article class="message message-assistant" aria-busy={streaming}>
      <h3 class="visually-hidden">Reply</h3>
      {message.reasoning && <ReasoningBlock text={message.reasoning} thinking={thinking} />}
      {message.content ? (
        <Markdown text={message.content} streaming={streaming} />
      ) : (
        thinking &&
        !message.reasoning && (
          <div class="typing" aria-label="Waiting for the reply">
            <span />
            <span />
            <span />
          </div>
        )
      )}
      {message.status === 'failed' && (
        <div class="reply-error">
          <AlertIcon size={18} />
          <div class="reply-error-text">
            <strong>The reply failed.</strong>{' '}
            {sentence(message.error?.message ?? 'Something went wrong upstream')}
            {message.content ? ' What arrived before the failure is shown above.' : ''}
          </div>
          {canRetry && (
            <button
              type="button"
              class="button button-secondary button-small"
              onClick={() => onRetry(message.id)}
            >
              <RetryIcon size={14} />
              Retry
            </button>
          )}
        </div>
      )}
      {!streaming && <ReplyMeta message={message} model={model} />}
    </article>
  );
}
