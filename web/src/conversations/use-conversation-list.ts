import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Conversation } from '../../../shared/contracts/conversations';
import { api } from '../api';

const PAGE_SIZE = 30;
const SEARCH_DEBOUNCE_MS = 250;

export interface ConversationList {
  items: Conversation[];
  query: string;
  setQuery: (q: string) => void;
  /** True while the first page for the current query is loading. */
  loading: boolean;
  loadingMore: boolean;
  hasMore: boolean;
  error: string | null;
  loadMore: () => void;
  /** A conversation changed here (new, new reply, renamed): show it at the top. */
  upsert: (conversation: Conversation) => void;
  remove: (id: string) => void;
  reload: () => void;
}

/** The server's order: pinned ones first, then newest activity first. */
const byNewest = (a: Conversation, b: Conversation) =>
  Number(b.pinned) - Number(a.pinned) || b.updatedAt.localeCompare(a.updatedAt) || b.id.localeCompare(a.id);

/** The sidebar's list: newest first, paged by cursor, filtered by a debounced search. */
export function useConversationList(): ConversationList {
  const [items, setItems] = useState<Conversation[]>([]);
  const [query, setQueryState] = useState('');
  const [debounced, setDebounced] = useState('');
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  // Answers for an older query must not overwrite the current one.
  const current = useRef(0);

  useEffect(() => {
    const timer = setTimeout(() => setDebounced(query.trim()), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [query]);

  useEffect(() => {
    const ticket = ++current.current;
    const controller = new AbortController();
    setLoading(true);
    setError(null);
    api.listConversations({ q: debounced || undefined, limit: PAGE_SIZE }, controller.signal).then(
      (page) => {
        if (ticket !== current.current) return;
        setItems(page.conversations);
        setCursor(page.nextCursor);
        setLoading(false);
      },
      (err: unknown) => {
        if (ticket !== current.current || controller.signal.aborted) return;
        setError((err as Error).message);
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [debounced, generation]);

  const loadMore = useCallback(() => {
    if (!cursor || loadingMore || loading) return;
    const ticket = current.current;
    setLoadingMore(true);
    api.listConversations({ q: debounced || undefined, limit: PAGE_SIZE, cursor }).then(
      (page) => {
        if (ticket !== current.current) return;
        setItems((old) => {
          const seen = new Set(old.map((c) => c.id));
          return [...old, ...page.conversations.filter((c) => !seen.has(c.id))];
        });
        setCursor(page.nextCursor);
        setLoadingMore(false);
      },
      (err: unknown) => {
        if (ticket !== current.current) return;
        setError((err as Error).message);
        setLoadingMore(false);
      },
    );
  }, [cursor, loadingMore, loading, debounced]);

  const upsert = useCallback(
    (conversation: Conversation) => {
      setItems((old) => {
        const rest = old.filter((c) => c.id !== conversation.id);
        // While searching, a conversation that was not a hit stays out: the search decides.
        if (debounced && rest.length === old.length) return old;
        return [...rest, conversation].sort(byNewest);
      });
    },
    [debounced],
  );

  const remove = useCallback((id: string) => setItems((old) => old.filter((c) => c.id !== id)), []);

  return {
    items,
    query,
    setQuery: setQueryState,
    loading,
    loadingMore,
    hasMore: cursor !== null,
    error,
    loadMore,
    upsert,
    remove,
    reload: () => setGeneration((g) => g + 1),
  };
}
