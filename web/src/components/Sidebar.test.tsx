import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Conversation } from '../../../shared/contracts/conversations';
import { api } from '../api';
import type { ConversationList } from '../conversations/use-conversation-list';
import { SessionProvider, useSession } from '../session';
import { Sidebar } from './Sidebar';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const now = new Date().toISOString();
const conv = (id: string, title: string, pinned = false): Conversation => ({
  id,
  title,
  model: null,
  systemPrompt: null,
  temperature: null,
  maxTokens: null,
  pinned,
  incognito: false,
  activeMessageId: 'm',
  createdAt: now,
  updatedAt: now,
});

function list(items: Conversation[]): ConversationList {
  return {
    items,
    query: '',
    setQuery: vi.fn(),
    loading: false,
    loadingMore: false,
    hasMore: false,
    error: null,
    loadMore: vi.fn(),
    upsert: vi.fn(),
    remove: vi.fn(),
    reload: vi.fn(),
  };
}

async function show(l: ConversationList) {
  vi.spyOn(api, 'session').mockResolvedValue({
    user: { id: 'u', email: 'v@example.com', name: null, identities: ['password'] } as never,
    csrfToken: 't',
  });
  function SignedIn() {
    return useSession().state.status === 'signed-in' ? (
      <Sidebar list={l} activeId={null} drawer={false} open={false} onClose={vi.fn()} />
    ) : null;
  }
  render(
    <SessionProvider>
      <SignedIn />
    </SessionProvider>,
  );
  await screen.findByRole('navigation', { name: 'Conversation history' });
}

describe('Sidebar: pinned conversations', () => {
  it('shows pinned ones in a Pinned group on top, and pins from the list', async () => {
    const l = list([conv('a', 'Pinned plan', true), conv('b', 'Recent chat')]);
    await show(l);
    const headings = screen.getAllByRole('heading', { level: 2 }).map((h) => h.textContent);
    expect(headings[0]).toBe('Pinned');
    const pinned = screen.getByRole('region', { name: 'Pinned' });
    expect(within(pinned).getByRole('link', { name: 'Pinned plan' })).toBeTruthy();
    expect(within(pinned).queryByRole('link', { name: 'Recent chat' })).toBeNull();
    expect(within(pinned).getByRole('button', { name: 'Unpin “Pinned plan”' })).toBeTruthy();

    const update = vi
      .spyOn(api, 'updateConversation')
      .mockResolvedValue({ conversation: conv('b', 'Recent chat', true) });
    fireEvent.click(screen.getByRole('button', { name: 'Pin “Recent chat”' }));
    expect(update).toHaveBeenCalledWith('b', { pinned: true });
    await waitFor(() =>
      expect(l.upsert).toHaveBeenCalledWith(expect.objectContaining({ id: 'b', pinned: true })),
    );
  });
});
