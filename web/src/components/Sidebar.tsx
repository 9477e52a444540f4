import { useEffect, useRef, useState } from 'preact/hooks';
import type { Conversation } from '../../../shared/contracts/conversations';
import { api } from '../api';
import type { ConversationList } from '../conversations/use-conversation-list';
import { Link, navigate, usePathname } from '../router';
import { useSession, useUser } from '../session';
import { ConfirmDialog } from './ConfirmDialog';
import { ConversationItem, UNTITLED } from './ConversationItem';
import {
  CardIcon,
  ChartIcon,
  CloseIcon,
  Logo,
  LogoutIcon,
  NewChatIcon,
  SearchIcon,
  SettingsIcon,
} from './icons';
import { PresetMenu } from './PresetMenu';
import { DocumentIcon } from '../documents/DocumentIcon';

interface SidebarProps {
  list: ConversationList;
  activeId: string | null;
  /** On narrow screens the sidebar is a drawer; closed, it is inert (out of the tab order). */
  drawer: boolean;
  open: boolean;
  onClose: () => void;
}

const DAY = 86_400_000;

function groupLabel(iso: string, now: Date): string {
  const startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  const t = new Date(iso).getTime();
  if (t >= startOfToday) return 'Today';
  if (t >= startOfToday - DAY) return 'Yesterday';
  if (t >= startOfToday - 7 * DAY) return 'Previous 7 days';
  if (t >= startOfToday - 30 * DAY) return 'Previous 30 days';
  return 'Older';
}

function groupByAge(items: Conversation[]): { label: string; items: Conversation[] }[] {
  const now = new Date();
  const groups: { label: string; items: Conversation[] }[] = [];
  for (const c of items) {
    const label = c.pinned ? 'Pinned' : groupLabel(c.updatedAt, now);
    const last = groups[groups.length - 1];
    if (last?.label === label) last.items.push(c);
    else groups.push({ label, items: [c] });
  }
  return groups;
}

export function Sidebar({ list, activeId, drawer, open, onClose }: SidebarProps) {
  const session = useSession();
  const user = useUser();
  const [deleting, setDeleting] = useState<Conversation | null>(null);
  const [deleteBusy, setDeleteBusy] = useState(false);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const sentinel = useRef<HTMLDivElement>(null);
  const newChatButton = useRef<HTMLButtonElement>(null);
  const hidden = drawer && !open;
  const pathname = usePathname();
  const current = (href: string) => (pathname === href ? ('page' as const) : undefined);

  // Infinite scroll: the next page loads when the end of the list comes into view.
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !list.hasMore || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) list.loadMore();
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [list.hasMore, list.loadMore, list.items.length]);

  useEffect(() => {
    if (drawer && open) newChatButton.current?.focus();
  }, [drawer, open]);

  const rename = async (id: string, title: string) => {
    const { conversation } = await api.renameConversation(id, title);
    list.upsert(conversation);
  };

  const [pinError, setPinError] = useState<string | null>(null);
  const togglePin = (c: Conversation) => {
    setPinError(null);
    api.updateConversation(c.id, { pinned: !c.pinned }).then(
      ({ conversation }) => list.upsert(conversation),
      (err: unknown) => setPinError((err as Error).message),
    );
  };

  const confirmDelete = async () => {
    if (!deleting) return;
    setDeleteBusy(true);
    setDeleteError(null);
    try {
      await api.deleteConversation(deleting.id);
      list.remove(deleting.id);
      if (deleting.id === activeId) navigate('/', { replace: true });
      setDeleting(null);
    } catch (err) {
      setDeleteError((err as Error).message);
    } finally {
      setDeleteBusy(false);
    }
  };

  const searching = list.query.trim() !== '';
  const groups =
    searching && list.items.length ? [{ label: 'Results', items: list.items }] : groupByAge(list.items);
  const groupId = (label: string) => `group-${label.toLowerCase().replace(/\W+/g, '-')}`;

  return (
    <aside
      id="sidebar"
      class="sidebar"
      aria-label="Conversations"
      inert={hidden}
      aria-hidden={hidden ? true : undefined}
      onKeyDown={(e) => {
        if (drawer && e.key === 'Escape' && !e.defaultPrevented) {
          e.preventDefault();
          onClose();
        }
      }}
    >
      <div class="sidebar-head">
        <Link class="brand" href="/" aria-label="GloriaMundo home">
          <Logo size={26} />
          <span class="brand-name">GloriaMundo</span>
        </Link>
        {drawer && (
          <button type="button" class="icon-button" aria-label="Close conversations" onClick={onClose}>
            <CloseIcon />
          </button>
        )}
      </div>
      <button
        ref={newChatButton}
        type="button"
        class="button button-secondary new-chat"
        onClick={() => {
          navigate('/');
          onClose();
          requestAnimationFrame(() => document.getElementById('composer-input')?.focus());
        }}
      >
        <NewChatIcon size={16} />
        New chat
      </button>
      <PresetMenu onStarted={onClose} />
      <div class="sidebar-search">
        <SearchIcon size={16} />
        <input
          type="search"
          placeholder="Search chats"
          aria-label="Search conversations"
          value={list.query}
          onInput={(e) => list.setQuery(e.currentTarget.value)}
        />
      </div>
      <nav class="conversation-nav" aria-label="Conversation history" aria-busy={list.loading}>
        {groups.map((group) => (
          <section key={group.label} class="conversation-group" aria-labelledby={groupId(group.label)}>
            <h2 id={groupId(group.label)} class="conversation-group-label">
              {group.label}
            </h2>
            <ul class="conversation-list">
              {group.items.map((c) => (
                <ConversationItem
                  key={c.id}
                  conversation={c}
                  active={c.id === activeId}
                  onRename={rename}
                  onTogglePin={togglePin}
                  onDelete={(conv) => {
                    setDeleteError(null);
                    setDeleting(conv);
                  }}
                />
              ))}
            </ul>
          </section>
        ))}
        {!list.loading && list.items.length === 0 && (
          <p class="sidebar-empty">
            {searching ? `No chats match “${list.query.trim()}”.` : 'No conversations yet.'}
          </p>
        )}
        {pinError && (
          <p class="sidebar-empty" role="alert">
            {pinError}
          </p>
        )}
        {list.error && (
          <p class="sidebar-empty" role="alert">
            {list.error}{' '}
            <button type="button" class="link-button" onClick={list.reload}>
              Try again
            </button>
          </p>
        )}
        {(list.loading || list.loadingMore) && (
          <div class="sidebar-loading" aria-label="Loading conversations" />
        )}
        <div ref={sentinel} class="sidebar-sentinel" />
      </nav>
      <div class="sidebar-foot">
        <Link class="sidebar-link" href="/billing" aria-current={current('/billing')}>
          <CardIcon size={16} /> Buy credits
        </Link>
        <Link class="sidebar-link" href="/documents" aria-current={current('/documents')}>
          <DocumentIcon size={16} /> Documents
        </Link>
        <Link class="sidebar-link" href="/usage" aria-current={current('/usage')}>
          <ChartIcon size={16} /> Usage
        </Link>
        <Link class="sidebar-link" href="/settings" aria-current={current('/settings')}>
          <SettingsIcon size={16} /> Settings
        </Link>
        <div class="account">
          <span class="avatar" aria-hidden="true">
            {(user.name ?? user.email).slice(0, 1).toUpperCase()}
          </span>
          <span class="account-name" title={user.email}>
            {user.name ?? user.email}
          </span>
          <button
            type="button"
            class="icon-button"
            aria-label="Sign out"
            title="Sign out"
            onClick={() => void session.signOut().then(() => navigate('/', { replace: true }))}
          >
            <LogoutIcon size={16} />
          </button>
        </div>
      </div>
      <ConfirmDialog
        open={deleting !== null}
        title="Delete conversation?"
        confirmLabel={deleteBusy ? 'Deleting…' : 'Delete'}
        busy={deleteBusy}
        onConfirm={() => void confirmDelete()}
        onCancel={() => setDeleting(null)}
      >
        <p>“{deleting?.title ?? UNTITLED}” and all its messages will be deleted. This cannot be undone.</p>
        {deleteError && (
          <p class="form-error" role="alert">
            {deleteError}
          </p>
        )}
      </ConfirmDialog>
    </aside>
  );
}
