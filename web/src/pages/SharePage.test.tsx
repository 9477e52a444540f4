import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError } from '../api';
import { RETURN_TO_KEY } from '../router';
import { SessionProvider } from '../session';
import SharePage from './SharePage';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
  sessionStorage.clear();
  document.head.querySelectorAll('meta[name="referrer"]').forEach((m) => m.remove());
});

const shared = {
  share: {
    id: 'abcdefghijklmnopqrstuv',
    title: 'Trip to Rome',
    createdAt: '2026-01-02T10:00:00Z',
    messages: [
      {
        role: 'user' as const,
        content: 'Where should I stay?',
        model: 'x/m',
        createdAt: '2026-01-02T10:00:00Z',
      },
      {
        role: 'assistant' as const,
        content: 'In **Trastevere**.',
        model: 'x/m',
        createdAt: '2026-01-02T10:00:01Z',
      },
    ],
  },
};

function show(signedIn: boolean) {
  vi.spyOn(api, 'session').mockImplementation(() =>
    signedIn
      ? Promise.resolve({ user: { id: 'u', email: 'v@example.com' } as never, csrfToken: 't' })
      : Promise.reject(new ApiError(401, 'unauthenticated', 'Sign in first.')),
  );
  render(
    <SessionProvider>
      <SharePage shareId="abcdefghijklmnopqrstuv" />
    </SessionProvider>,
  );
}

describe('SharePage', () => {
  it('shows the shared chat read-only, with no referrer for its links', async () => {
    vi.spyOn(api, 'publicShare').mockResolvedValue(shared);
    show(false);
    await screen.findByRole('heading', { level: 1, name: 'Trip to Rome' });
    expect(screen.getByText('Where should I stay?')).toBeTruthy();
    expect(screen.getByText('Trastevere').tagName).toBe('STRONG');
    expect(document.querySelector('textarea, #composer-input')).toBeNull();
    expect(document.head.querySelector('meta[name="referrer"]')?.getAttribute('content')).toBe('no-referrer');
  });

  it('signed out, continuing asks to sign in first and comes back here afterwards', async () => {
    vi.spyOn(api, 'publicShare').mockResolvedValue(shared);
    const copy = vi.spyOn(api, 'continueShare');
    show(false);
    const button = await screen.findByRole('button', { name: 'Sign in to continue this chat' });
    fireEvent.click(button);
    expect(sessionStorage.getItem(RETURN_TO_KEY)).toBe('/s/abcdefghijklmnopqrstuv');
    expect(location.pathname).toBe('/');
    expect(copy).not.toHaveBeenCalled();
  });

  it('signed in, the copy is made only on click, then opened', async () => {
    vi.spyOn(api, 'publicShare').mockResolvedValue(shared);
    const copy = vi.spyOn(api, 'continueShare').mockResolvedValue({ conversation: { id: 'c-new' } as never });
    show(true);
    const button = await screen.findByRole('button', { name: 'Continue this chat' });
    expect(copy).not.toHaveBeenCalled();
    fireEvent.click(button);
    await waitFor(() => expect(location.pathname).toBe('/c/c-new'));
    expect(copy).toHaveBeenCalledWith('abcdefghijklmnopqrstuv');
  });

  it('a revoked or unknown link says so', async () => {
    vi.spyOn(api, 'publicShare').mockRejectedValue(
      new ApiError(404, 'not_found', 'This shared chat was not found.'),
    );
    show(false);
    await screen.findByRole('heading', { level: 1, name: 'Shared chat not found' });
    expect(screen.getByText(/revoked/)).toBeTruthy();
  });
});
