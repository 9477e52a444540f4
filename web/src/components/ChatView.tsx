import { useEffect, useRef } from 'preact/hooks';
import type { Conversation } from '../../../shared/contracts/conversations';
import type { Model } from '../../../shared/contracts/models';
import { useChat, type SendProblem } from '../chat/use-chat';
import { useReplyAnnouncer } from '../chat/use-reply-announcer';
import type { ConversationList } from '../conversations/use-conversation-list';
import { conversationPath, Link, navigate } from '../router';
import { useSession } from '../session';
import { Composer } from './Composer';
import { AlertIcon, CloseIcon, Logo } from './icons';
import { MessageList } from './MessageList';

const SUGGESTIONS = [
  'Explain quantum entanglement like I am twelve',
  'Write a Python function that merges two sorted lists',
  'Plan a three-day trip to Lisbon on a budget',
  'Draft a polite reply declining a meeting',
];

function EmptyChat({ onPick }: { onPick: (text: string) => void }) {
  return (
    <div class="empty-chat">
      <Logo size={44} />
      <h1 class="empty-chat-title">What can I help with?</h1>
      <ul class="suggestions" aria-label="Suggestions">
        {SUGGESTIONS.map((s) => (
          <li key={s}>
            <button type="button" class="suggestion" onClick={() => onPick(s)}>
              {s}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

function SendProblemBanner({
  problem,
  freeModel,
  onUseFreeModel,
  onDismiss,
}: {
  problem: SendProblem;
  freeModel: Model | undefined;
  onUseFreeModel: () => void;
  onDismiss: () => void;
}) {
  const outOfCredits = problem.code === 'insufficient_credits';
  return (
    <div class={outOfCredits ? 'notice notice-warning' : 'notice notice-error'} role="alert">
      <AlertIcon size={18} />
      <div class="notice-text">
        {outOfCredits ? (
          <>
            <strong>Not enough credits for this model.</strong> Your message was not sent and nothing was
            charged. <Link href="/billing">Buy credits</Link>
            {freeModel && (
              <>
                {' '}
                or{' '}
                <button type="button" class="link-button" onClick={onUseFreeModel}>
                  switch to a free model
                </button>
              </>
            )}
            .
          </>
        ) : problem.code === 'rate_limited' ? (
          <>
            <strong>Slow down a little.</strong> {problem.message}
            {problem.retryAfterSeconds ? ` Try again in ${problem.retryAfterSeconds} s.` : ''}
          </>
        ) : (
          <>
            <strong>Your message was not sent.</strong> {problem.message}
          </>
        )}
      </div>
      <button type="button" class="icon-button icon-button-small" aria-label="Dismiss" onClick={onDismiss}>
        <CloseIcon size={16} />
      </button>
    </div>
  );
}

interface ChatViewProps {
  conversationId: string | null;
  model: Model | undefined;
  models: Model[];
  modelsById: Map<string, Model>;
  modelsError: string | null;
  list: ConversationList;
  onModelFromConversation: (modelId: string) => void;
  onPickModel: (model: Model) => void;
}

export function ChatView(props: ChatViewProps) {
  const { conversationId, model, models, modelsById, list } = props;
  const session = useSession();
  const input = useRef<HTMLTextAreaElement>(null);
  const chat = useChat({
    conversationId,
    model: model?.id ?? null,
    onConversationChange: list.upsert,
    onConversationCreated: (c: Conversation) => {
      list.upsert(c);
      navigate(conversationPath(c.id), { replace: true });
    },
    onReplyFinished: () => void session.refresh(),
  });
  const busy = chat.phase !== 'idle';
  const lastReply = chat.messages.findLast((m) => m.role === 'assistant');
  const announcement = useReplyAnnouncer(lastReply);

  // An opened conversation continues with the model it last used.
  const conversationModel = chat.conversation?.model;
  const shownConversation = chat.conversation?.id;
  useEffect(() => {
    if (conversationModel && modelsById.has(conversationModel))
      props.onModelFromConversation(conversationModel);
    // Only when another conversation opens, not when this one's model changes by sending.
  }, [shownConversation, modelsById]);

  useEffect(() => {
    document.title = chat.conversation?.title ? `${chat.conversation.title} · GloriaMundo` : 'GloriaMundo';
  }, [chat.conversation?.title]);

  // Esc stops the reply from anywhere on the page (popovers that use Esc themselves prevent this).
  const stop = chat.stop;
  useEffect(() => {
    if (!busy) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !e.defaultPrevented && !document.querySelector('dialog[open]')) stop();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [busy, stop]);

  const historyChars = chat.messages.reduce((n, m) => n + m.content.length, 0);
  const freeModel = models.find((m) => m.free);
  const blockedReason = !model
    ? props.modelsError
      ? 'Models could not be loaded'
      : 'Loading models…'
    : undefined;

  let body;
  if (chat.loading) {
    body = <div class="message-column" aria-busy="true" aria-label="Loading conversation" />;
  } else if (chat.loadError) {
    body = (
      <div class="page-state" role="alert">
        <p>{chat.loadError}</p>
        <Link class="button button-secondary" href="/">
          Start a new chat
        </Link>
      </div>
    );
  } else {
    body = (
      <MessageList messages={chat.messages} modelsById={modelsById} idle={!busy} onRetry={chat.retry}>
        {chat.messages.length === 0 && (
          <EmptyChat
            onPick={(text) => {
              const el = input.current;
              if (!el) return;
              el.value = text;
              el.dispatchEvent(new Event('input', { bubbles: true }));
              el.focus();
            }}
          />
        )}
      </MessageList>
    );
  }

  return (
    <div class="chat">
      {body}
      {!chat.loadError && (
        <div class="composer-dock">
          {chat.problem && (
            <SendProblemBanner
              problem={chat.problem}
              freeModel={freeModel}
              onUseFreeModel={() => {
                if (freeModel) props.onPickModel(freeModel);
                chat.dismissProblem();
              }}
              onDismiss={chat.dismissProblem}
            />
          )}
          <Composer
            model={model}
            historyChars={historyChars}
            busy={busy}
            blockedReason={blockedReason}
            onSend={chat.send}
            onStop={stop}
            inputRef={input}
          />
        </div>
      )}
      <div class="visually-hidden" aria-live="polite" aria-atomic="true" data-testid="reply-announcer">
        {announcement}
      </div>
    </div>
  );
}
