import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Conversation } from '../../../shared/contracts/conversations';
import { conversationPath, Link } from '../router';
import { PencilIcon, PinIcon, TrashIcon } from './icons';

export const UNTITLED = 'New chat';

interface ConversationItemProps {
  conversation: Conversation;
  active: boolean;
  onRename: (id: string, title: string) => Promise<void>;
  onDelete: (conversation: Conversation) => void;
  onTogglePin?: (conversation: Conversation) => void;
}

export function ConversationItem({
  conversation,
  active,
  onRename,
  onDelete,
  onTogglePin,
}: ConversationItemProps) {
  const title = conversation.title ?? UNTITLED;
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(title);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const renameButton = useRef<HTMLButtonElement>(null);
  // Enter and blur both save; the first one wins.
  const settled = useRef(false);

  // Before paint: keystrokes right after clicking Rename belong in the field.
  useLayoutEffect(() => {
    if (editing) {
      input.current?.focus();
      input.current?.select();
    }
  }, [editing]);

  const startEditing = () => {
    settled.current = false;
    setDraft(title);
    setError(null);
    setEditing(true);
  };

  const finish = async (save: boolean) => {
    if (settled.current) return;
    settled.current = true;
    const next = draft.trim();
    if (save && next && next !== title) {
      try {
        await onRename(conversation.id, next);
      } catch (err) {
        setError((err as Error).message);
        settled.current = false;
        return;
      }
    }
    setEditing(false);
    requestAnimationFrame(() => renameButton.current?.focus());
  };

  if (editing) {
    return (
      <li class="conversation-item is-editing">
        <input
          ref={input}
          class="conversation-rename"
          aria-label="Conversation title"
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `rename-error-${conversation.id}` : undefined}
          maxLength={200}
          value={draft}
          onInput={(e) => setDraft(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              void finish(true);
            } else if (e.key === 'Escape') {
              e.preventDefault();
              e.stopPropagation();
              void finish(false);
            }
          }}
          onBlur={() => void finish(true)}
        />
        {error && (
          <p id={`rename-error-${conversation.id}`} class="conversation-error" role="alert">
            {error}
          </p>
        )}
      </li>
    );
  }

  return (
    <li class={active ? 'conversation-item is-active' : 'conversation-item'}>
      <Link
        class="conversation-link"
        href={conversationPath(conversation.id)}
        aria-current={active ? 'page' : undefined}
        title={title}
      >
        {title}
      </Link>
      <div class="conversation-actions">
        {onTogglePin && (
          <button
            type="button"
            class={
              conversation.pinned
                ? 'icon-button icon-button-small is-pinned'
                : 'icon-button icon-button-small'
            }
            aria-label={conversation.pinned ? `Unpin “${title}”` : `Pin “${title}”`}
            title={conversation.pinned ? 'Unpin' : 'Pin to the top'}
            onClick={() => onTogglePin(conversation)}
          >
            <PinIcon size={15} />
          </button>
        )}
        <button
          ref={renameButton}
          type="button"
          class="icon-button icon-button-small"
          aria-label={`Rename “${title}”`}
          title="Rename"
          onClick={startEditing}
        >
          <PencilIcon size={15} />
        </button>
        <button
          type="button"
          class="icon-button icon-button-small"
          aria-label={`Delete “${title}”`}
          title="Delete"
          onClick={() => onDelete(conversation)}
        >
          <TrashIcon size={15} />
        </button>
      </div>
    </li>
  );
}
