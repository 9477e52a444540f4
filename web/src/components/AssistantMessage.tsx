import { useState } from 'preact/hooks';
import type { Model } from '../../../shared/contracts/models';
import type { ChatMessage } from '../chat/use-chat';
import { useRetryable } from '../chat/retryable';
import { formatCredits, formatDollars, formatNumber } from '../format';
import { Markdown } from '../markdown/Markdown';
import { CitationCards, citationPrefix } from '../documents/Citations';
import { Link } from '../router';
import { FeedbackButtons } from './FeedbackButtons';
import { AlertIcon, BrainIcon, CheckIcon, CopyIcon, RetryIcon } from './icons';
import { MessageBoundary } from './MessageBoundary';
import { shortModelName } from './ModelPicker';
import { VersionSwitcher } from './VersionSwitcher';

function ReasoningBlock({ text, thinking }: { text: string; thinking: boolean }) {
  return (
    <details class="reasoning" open={thinking}>
      <summary>
        <BrainIcon size={15} />
        {thinking ? 'Thinking…' : 'Reasoning'}
      </summary>
      <div class="reasoning-body">
        <MessageBoundary text={text}>
          <Markdown text={text} streaming={thinking} />
        </MessageBoundary>
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

/** Versions, copy, regenerate; who answered, what it cost: tokens and credits as billed. */
function ReplyMeta({
  message,
  model,
  idle,
  onRegenerate,
  onSwitchVersion,
}: {
  message: ChatMessage;
  model: Model | undefined;
  idle: boolean;
  onRegenerate: (messageId: string) => void;
  onSwitchVersion: (messageId: string) => void;
}) {
  const usage = message.usage;
  const modelName = model ? shortModelName(model) : message.model;
  return (
    <div class="reply-meta">
      <VersionSwitcher message={message} disabled={!idle} onSwitch={onSwitchVersion} />
      {message.content && <CopyReplyButton text={message.content} />}
      <button
        type="button"
        class="icon-button icon-button-small"
        aria-label="Regenerate reply"
        title="Regenerate: a new version of this reply"
        disabled={!idle}
        onClick={() => onRegenerate(message.id)}
      >
        <RetryIcon size={15} />
      </button>
      {!message.id.startsWith('local-') && (
        <FeedbackButtons messageId={message.id} initial={message.feedback} />
      )}
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

/** Why a reply ended before it was done, in a sentence (`done.reason` / `finishReason`). */
function FinishNote({ message }: { message: ChatMessage }) {
  const tokens = message.maxTokens ? `${formatNumber(message.maxTokens)} tokens` : null;
  switch (message.finishReason) {
    case 'balance':
      return (
        <p class="reply-note" data-reason="balance">
          The reply was cut short{tokens ? ` at ${tokens}` : ''} because your balance could not pay for more.{' '}
          <Link href="/billing">Buy credits</Link> for longer replies.
        </p>
      );
    case 'time_limit':
      return (
        <p class="reply-note" data-reason="time_limit">
          The reply stopped because it reached the time limit for a single reply. Ask it to continue if you
          need the rest.
        </p>
      );
    case 'length':
      return (
        <p class="reply-note" data-reason="length">
          The reply reached its length limit{tokens ? ` of ${tokens}` : ''}. Choose a longer reply length
          below and regenerate it to get more.
        </p>
      );
    default:
      return null;
  }
}

function FailedReply({
  message,
  canRetry,
  onRetry,
}: {
  message: ChatMessage;
  canRetry: boolean;
  onRetry: (messageId: string) => void;
}) {
  const code = message.error?.code;
  const retryable = useRetryable(code);
  const noCredit = code === 'insufficient_credits' || code === 'spend_cap_reached';
  return (
    <div class="reply-error" role="alert">
      <AlertIcon size={18} />
      <div class="reply-error-text">
        <strong>The reply failed.</strong>{' '}
        {message.error?.message ?? 'Something went wrong while the reply was being written.'}
        {message.content ? ' What arrived before the failure is shown above.' : ''}
        {noCredit && (
          <>
            {' '}
            <Link href="/billing">Buy credits</Link>
          </>
        )}
      </div>
      {canRetry && retryable && (
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
  );
}

interface AssistantMessageProps {
  message: ChatMessage;
  model: Model | undefined;
  /** Nothing else is running: Retry, Regenerate and the version switcher may act. */
  idle: boolean;
  onRetry: (messageId: string) => void;
  onRegenerate: (messageId: string) => void;
  onSwitchVersion: (messageId: string) => void;
}

export function AssistantMessage({
  message,
  model,
  idle,
  onRetry,
  onRegenerate,
  onSwitchVersion,
}: AssistantMessageProps) {
  const streaming = message.status === 'streaming';
  const [activeCitation, setActiveCitation] = useState<number | null>(null);
  const citations = message.citations ?? [];
  const citationLinks = citations.length
    ? { numbers: citations.map((c) => c.n), idPrefix: citationPrefix(message.id) }
    : undefined;
  const showCitation = (n: number) => {
    setActiveCitation(n);
    const card = document.getElementById(`${citationPrefix(message.id)}-${n}`);
    card?.scrollIntoView?.({ block: 'nearest', behavior: 'smooth' });
    card?.focus({ preventScroll: true });
  };
  const thinking = streaming && !message.content;
  const cappedAt =
    message.requestedMaxTokens !== undefined &&
    message.maxTokens !== null &&
    message.maxTokens < message.requestedMaxTokens
      ? message.maxTokens
      : null;
  return (
    <article class="message message-assistant" aria-busy={streaming}>
      <h2 class="visually-hidden">Reply</h2>
      {message.reasoning && <ReasoningBlock text={message.reasoning} thinking={thinking} />}
      {message.content ? (
        <MessageBoundary text={message.content}>
          <Markdown
            text={message.content}
            streaming={streaming}
            citations={citationLinks}
            onCitation={showCitation}
          />
        </MessageBoundary>
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
      {cappedAt !== null && (
        <p class="reply-note" data-reason="capped">
          Capped at {formatNumber(cappedAt)} tokens by your balance.
          {message.finishReason !== 'balance' && (
            <>
              {' '}
              <Link href="/billing">Buy credits</Link> for longer replies.
            </>
          )}
        </p>
      )}
      <CitationCards messageId={message.id} citations={citations} active={activeCitation} />
      {message.status === 'failed' && <FailedReply message={message} canRetry={idle} onRetry={onRetry} />}
      {!streaming && <FinishNote message={message} />}
      {message.memoryUpdated && (
        <p class="reply-note" data-reason="memory">
          <Link href="/settings#memory">
            Memory updated<span class="visually-hidden">: see what is remembered</span>
          </Link>
        </p>
      )}
      {!streaming && (
        <ReplyMeta
          message={message}
          model={model}
          idle={idle}
          onRegenerate={onRegenerate}
          onSwitchVersion={onSwitchVersion}
        />
      )}
    </article>
  );
}
