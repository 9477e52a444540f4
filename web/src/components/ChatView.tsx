import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Model } from '../../../shared/contracts/models';
import { rememberChat, useDraft } from '../chat/drafts';
import { useChat, type SendProblem } from '../chat/use-chat';
import { useReplyAnnouncer } from '../chat/use-reply-announcer';
import type { ConversationList } from '../conversations/use-conversation-list';
import { conversationPath, Link, navigate } from '../router';
import { useSession } from '../session';
import { readPreference, writePreference } from '../storage';
import { Composer } from './Composer';
import { api } from '../api';
import { lazyComponent } from '../lazy';
import { AlertIcon, CloseIcon, DownloadIcon, Logo, SettingsIcon, ShareIcon } from './icons';
import { MessageList } from './MessageList';

// Opened rarely: their code loads on first use.
const ConversationSettingsDialog = lazyComponent(() => import('./ConversationSettingsDialog'));
const ShareDialog = lazyComponent(() => import('./ShareDialog'));

const SUGGESTIONS = [
  'Explain quantum entanglement like I am twelve',
  'Write a Python function that merges two sorted lists',
  'Plan a three-day trip to Lisbon on a budget',
  'Draft a polite reply declining a meeting',
];

function EmptyChat({ onPick, children }: { onPick: (text: string) => void; children?: ComponentChildren }) {
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
      {children}
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
  const outOfCredits = problem.code === 'insufficient_credits' || problem.code === 'spend_cap_reached';
  const notSent = problem.kind !== 'action';
  return (
    <div class={outOfCredits ? 'notice notice-warning' : 'notice notice-error'} role="alert">
      <AlertIcon size={18} />
      <div class="notice-text">
        {outOfCredits ? (
          <>
            <strong>
              {problem.code === 'spend_cap_reached'
                ? 'Your monthly spending cap is reached.'
                : 'Not enough credits for this model.'}
            </strong>{' '}
            {notSent ? 'Your message was not sent and nothing was charged.' : 'Nothing was charged.'}{' '}
            <Link href="/billing">Buy credits</Link>
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
            {problem.retryAfterSeconds ? ` Try again in ${problem.retryAfterSeconds} seconds.` : ''}
          </>
        ) : notSent ? (
          <>
            <strong>Your message was not sent.</strong> {problem.message}
          </>
        ) : (
          problem.message
        )}
      </div>
      <button type="button" class="icon-button icon-button-small" aria-label="Dismiss" onClick={onDismiss}>
        <CloseIcon size={16} />
      </button>
    </div>
  );
}

const REPLY_LENGTH_KEY = 'gm.maxTokens';

/** The reply length last chosen in this browser (null: the default). */
function useReplyLength(): [number | null, (value: number | null) => void] {
  const [value, setValue] = useState<number | null>(() => {
    const stored = Number(readPreference(REPLY_LENGTH_KEY));
    return Number.isInteger(stored) && stored > 0 ? stored : null;
  });
  const change = useCallback((next: number | null) => {
    writePreference(REPLY_LENGTH_KEY, next === null ? null : String(next));
    setValue(next);
  }, []);
  return [value, change];
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
  onImagesChange?: (attached: boolean) => void;
}

export function ChatView(props: ChatViewProps) {
  const { conversationId, model, models, modelsById, list } = props;
  const session = useSession();
  const input = useRef<HTMLTextAreaElement>(null);
  const [draft, setDraft] = useDraft(conversationId);
  const [maxTokens, setMaxTokens] = useReplyLength();
  const memoryOn = session.state.status === 'signed-in' && session.state.user.memoryEnabled;
  // Asked for each new chat: off again whenever a new one starts.
  const [incognito, setIncognito] = useState(false);
  useEffect(() => {
    if (conversationId === null) setIncognito(false);
  }, [conversationId]);
  const chat = useChat({
    memory: memoryOn,
    incognito,
    conversationId,
    model: model?.id ?? null,
    maxTokens,
    onConversationChange: list.upsert,
    // Into the URL at once; into the sidebar only when its reply starts (see onConversationChange).
    onConversationCreated: (c) => navigate(conversationPath(c.id), { replace: true }),
    onReplyFinished: () => void session.refresh(),
    onQueuedReturned: (texts) =>
      setDraft((current) => [...texts, current].filter((t) => t.trim()).join('\n\n')),
  });
  const busy = chat.phase !== 'idle';
  const lastReply = chat.messages.findLast((m) => m.role === 'assistant');
  const announcement = useReplyAnnouncer(lastReply);

  // "Back to chat" on the billing pages returns to this conversation.
  useEffect(() => rememberChat(conversationId), [conversationId]);

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

  // Ctrl/⌘+Shift+C copies the last reply (the shortcut sheet lists it).
  const lastReplyText = lastReply?.content ?? '';
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || !e.shiftKey || e.key.toLowerCase() !== 'c' || e.defaultPrevented)
        return;
      if (!lastReplyText) return;
      e.preventDefault();
      void navigator.clipboard?.writeText(lastReplyText).then(() => setCopyNote('Last reply copied.'));
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [lastReplyText]);
  const [copyNote, setCopyNote] = useState('');
  useEffect(() => {
    if (!copyNote) return;
    const t = setTimeout(() => setCopyNote(''), 2000);
    return () => clearTimeout(t);
  }, [copyNote]);
  const [dialog, setDialog] = useState<'settings' | 'share' | null>(null);

  const historyChars = chat.messages.reduce((n, m) => n + m.content.length, 0);
  const freeModel = models.find((m) => m.free);
  // Before the models have loaded a message can be written and sent: it goes out once they have.
  const blockedReason =
    !model && props.modelsError ? 'The models could not be loaded. Reload the page to try again.' : undefined;
  const waitingReason = !model ? 'Loading models… you can write your message already' : undefined;

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
      <MessageList
        messages={chat.messages}
        modelsById={modelsById}
        idle={!busy && !chat.switching}
        onRetry={chat.retry}
        onRegenerate={chat.regenerate}
        onEdit={chat.edit}
        onSwitchVersion={chat.switchVersion}
      >
        {chat.messages.length === 0 && (
          <EmptyChat
            onPick={(text) => {
              const el = input.current;
              if (!el) return;
              setDraft(text);
              el.focus();
            }}
          >
            {memoryOn && conversationId === null && (
              <label style={{ marginTop: '20px', display: 'flex', gap: '8px', alignItems: 'center' }}>
                <input
                  type="checkbox"
                  role="switch"
                  checked={incognito}
                  onChange={(e) => setIncognito(e.currentTarget.checked)}
                />
                Incognito chat: not remembered, and memories are not used
              </label>
            )}
          </EmptyChat>
        )}
      </MessageList>
    );
  }

  const shown = chat.conversation;
  return (
    <div class="chat">
      {chat.messages.length > 0 && <h1 class="visually-hidden">{shown?.title ?? 'New chat'}</h1>}
      {shown && !chat.loading && !chat.loadError && (
        <div class="chat-toolbar" role="toolbar" aria-label="This chat">
          {shown.incognito && (
            <span class="badge badge-muted" title="This chat is not remembered, and memories are not used">
              Incognito
            </span>
          )}
          <button
            type="button"
            class="button button-ghost button-small"
            onClick={() => setDialog('settings')}
          >
            <SettingsIcon size={15} /> Chat settings
          </button>
          {chat.messages.length > 0 && (
            <>
              <button
                type="button"
                class="button button-ghost button-small"
                onClick={() => setDialog('share')}
              >
                <ShareIcon size={15} /> Share
              </button>
              <details class="toolbar-menu">
                <summary class="button button-ghost button-small">
                  <DownloadIcon size={15} /> Export
                </summary>
                <div class="toolbar-menu-popover">
                  <a href={api.exportUrl(shown.id, 'md')} download>
                    Markdown (.md)
                  </a>
                  <a href={api.exportUrl(shown.id, 'json')} download>
                    JSON (.json)
                  </a>
                </div>
              </details>
            </>
          )}
        </div>
      )}
      {dialog === 'settings' && shown && (
        <ConversationSettingsDialog
          conversationId={shown.id}
          onSaved={list.upsert}
          onClose={() => setDialog(null)}
        />
      )}
      {dialog === 'share' && shown && (
        <ShareDialog conversationId={shown.id} onClose={() => setDialog(null)} />
      )}
      <div class="visually-hidden" role="status">
        {copyNote}
      </div>
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
            waitingReason={waitingReason}
            draft={draft}
            onDraftChange={setDraft}
            maxTokens={maxTokens}
            onMaxTokensChange={setMaxTokens}
            queued={chat.queued}
            onUnqueue={(id) => {
              const text = chat.unqueue(id);
              if (text) setDraft((current) => (current.trim() ? `${current}\n\n${text}` : text));
              input.current?.focus();
            }}
            onSend={chat.send}
            onStop={stop}
            inputRef={input}
            onImagesChange={props.onImagesChange}
          />
        </div>
      )}
      <div class="visually-hidden" aria-live="polite" aria-atomic="true" data-testid="reply-announcer">
        {announcement}
      </div>
    </div>
  );
}
