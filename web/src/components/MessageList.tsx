import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Model } from '../../../shared/contracts/models';
import type { ChatMessage } from '../chat/use-chat';
import { AssistantMessage } from './AssistantMessage';
import { PencilIcon } from './icons';
import type { MessageImages as Images } from '../images/ImageAttach';
import { lazyComponent } from '../lazy';
import { MessageBoundary } from './MessageBoundary';
import { VersionSwitcher } from './VersionSwitcher';

const MessageImages = lazyComponent<Parameters<typeof Images>[0]>(
  () => import('../images/ImageAttach').then((m) => ({ default: m.MessageImages })),
  { inline: true },
);

/** Within this many pixels of the bottom the view follows new text; further up, it stays put. */
const STICK_THRESHOLD_PX = 80;

function EditForm({
  initial,
  idle,
  onSave,
  onCancel,
}: {
  initial: string;
  idle: boolean;
  onSave: (text: string) => Promise<boolean>;
  onCancel: () => void;
}) {
  const [text, setText] = useState(initial);
  const [saving, setSaving] = useState(false);
  const input = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    const el = input.current;
    if (!el) return;
    el.focus();
    el.setSelectionRange(el.value.length, el.value.length);
  }, []);
  const canSave = idle && !saving && text.trim().length > 0 && text !== initial;
  const save = async () => {
    if (!canSave) return;
    setSaving(true);
    // Refused (no credits...): the editor stays open with the text; the problem shows below.
    if (!(await onSave(text))) setSaving(false);
  };
  return (
    <form
      class="edit-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <label class="visually-hidden" for="edit-message-input">
        Edit message
      </label>
      <textarea
        id="edit-message-input"
        ref={input}
        rows={3}
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.preventDefault();
            onCancel();
          } else if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            void save();
          }
        }}
      />
      <div class="edit-actions">
        <button type="button" class="button button-secondary button-small" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" class="button button-primary button-small" disabled={!canSave}>
          Save and send
        </button>
      </div>
    </form>
  );
}

function UserMessage({
  message,
  idle,
  onEdit,
  onSwitchVersion,
}: {
  message: ChatMessage;
  idle: boolean;
  onEdit: (messageId: string, text: string) => Promise<boolean>;
  onSwitchVersion: (messageId: string) => void;
}) {
  const [editing, setEditing] = useState(false);
  const local = message.id.startsWith('local-');
  return (
    <article class={editing ? 'message message-user is-editing' : 'message message-user'}>
      <h2 class="visually-hidden">You said</h2>
      {editing ? (
        <EditForm
          initial={message.content}
          idle={idle}
          onSave={async (text) => {
            const sent = await onEdit(message.id, text);
            if (sent) setEditing(false);
            return sent;
          }}
          onCancel={() => setEditing(false)}
        />
      ) : (
        <>
          {message.imageIds.length > 0 && <MessageImages ids={message.imageIds} />}
          <div class="user-bubble">{message.content}</div>
          <div class="user-actions">
            <VersionSwitcher message={message} disabled={!idle} onSwitch={onSwitchVersion} />
            <button
              type="button"
              class="icon-button icon-button-small"
              aria-label="Edit message"
              title="Edit: send a changed version as a new branch"
              disabled={!idle || local}
              onClick={() => setEditing(true)}
            >
              <PencilIcon size={14} />
            </button>
          </div>
        </>
      )}
    </article>
  );
}

interface MessageListProps {
  messages: ChatMessage[];
  modelsById: Map<string, Model>;
  /** Retry, edit, regenerate and the version switcher act only when nothing else is running. */
  idle: boolean;
  onRetry: (messageId: string) => void;
  onRegenerate: (messageId: string) => void;
  onEdit: (messageId: string, text: string) => Promise<boolean>;
  onSwitchVersion: (messageId: string) => void;
  children?: ComponentChildren;
}

export function MessageList({
  messages,
  modelsById,
  idle,
  onRetry,
  onRegenerate,
  onEdit,
  onSwitchVersion,
  children,
}: MessageListProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const column = useRef<HTMLDivElement>(null);
  const stuck = useRef(true);
  /** Scrolled up from the bottom: while a reply streams, offer a way back down to it. */
  const [away, setAway] = useState(false);
  const streaming = messages.some((m) => m.status === 'streaming');
  const lastUserId = useRef<string | undefined>(undefined);

  const toBottom = () => {
    const el = scroller.current;
    if (el) el.scrollTop = el.scrollHeight;
  };
  const jumpToLatest = () => {
    stuck.current = true;
    setAway(false);
    toBottom();
  };

  // Growth of the column (streamed text, a code block highlighted late, the composer growing)
  // keeps the bottom in view only while the reader is already there.
  useEffect(() => {
    const el = column.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => {
      if (stuck.current) toBottom();
    });
    observer.observe(el);
    if (scroller.current) observer.observe(scroller.current);
    return () => observer.disconnect();
  }, []);

  // Sending a message always brings the view down to it.
  useLayoutEffect(() => {
    const lastUser = messages.findLast((m) => m.role === 'user')?.id;
    const sentNow =
      lastUser !== undefined && lastUser.startsWith('local-') && lastUser !== lastUserId.current;
    lastUserId.current = lastUser;
    if (sentNow || stuck.current) {
      stuck.current = true;
      toBottom();
    }
  }, [messages]);

  return (
    <div
      ref={scroller}
      class="message-scroller"
      onScroll={(e) => {
        const el = e.currentTarget;
        stuck.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_THRESHOLD_PX;
        if (away === stuck.current) setAway(!stuck.current);
      }}
    >
      <div ref={column} class="message-column">
        {children}
        {messages.map((m) => (
          <MessageBoundary key={m.id} text={m.content}>
            {m.role === 'user' ? (
              <UserMessage message={m} idle={idle} onEdit={onEdit} onSwitchVersion={onSwitchVersion} />
            ) : (
              <AssistantMessage
                message={m}
                model={m.model ? modelsById.get(m.model) : undefined}
                idle={idle}
                onRetry={onRetry}
                onRegenerate={onRegenerate}
                onSwitchVersion={onSwitchVersion}
              />
            )}
          </MessageBoundary>
        ))}
      </div>
      {away && streaming && (
        <button type="button" class="button button-secondary jump-latest" onClick={jumpToLatest}>
          ↓ Jump to latest
        </button>
      )}
    </div>
  );
}
