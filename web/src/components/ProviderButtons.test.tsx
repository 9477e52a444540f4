import { cleanup, fireEvent, render, screen } from '@testing-library/preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { User } from '../../../shared/contracts/auth';
import { api, ApiError } from '../api';
import { SessionProvider } from '../session';
import { AuthScreen } from './AuthScreen';
import { LinkedAccounts } from './LinkedAccounts';

const both = {
  password: true as const,
  providers: [
    { id: 'google' as const, name: 'Google' },
    { id: 'microsoft' as const, name: 'Microsoft' },
  ],
};

const user = (identities: User['identities']): User => ({
  id: 'u1',
  email: 'ada@example.com',
  name: 'Ada',
  credits: 0,
  memoryEnabled: true,
  monthlySpendCapCredits: null,
  lowBalanceCredits: null,
  identities,
  createdAt: new Date(0).toISOString(),
});

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
  history.replaceState(null, '', '/');
});

describe('sign-in screen: providers', () => {
  beforeEach(() => {
    vi.spyOn(api, 'session').mockRejectedValue(new ApiError(401, 'unauthenticated', 'Sign in.'));
  });

  const renderScreen = () =>
    render(
      <SessionProvider>
        <AuthScreen />
      </SessionProvider>,
    );

  it('shows a button per configured provider, coming back to the page it was on', async () => {
    vi.spyOn(api, 'providers').mockResolvedValue(both);
    history.replaceState(null, '', '/c/abc?x=1');
    renderScreen();
    const google = await screen.findByRole('link', { name: 'Continue with Google' });
    expect(google.getAttribute('href')).toBe(`/api/auth/google?returnTo=${encodeURIComponent('/c/abc?x=1')}`);
    expect(screen.getByRole('link', { name: 'Continue with Microsoft' })).toBeTruthy();
  });

  it('shows no provider buttons when none is configured or the server cannot say', async () => {
    const providers = vi.spyOn(api, 'providers').mockRejectedValue(new ApiError(0, 'network', 'offline'));
    renderScreen();
    await vi.waitFor(() => expect(providers).toHaveBeenCalled());
    expect(screen.queryByRole('link', { name: /Continue with/ })).toBeNull();
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeTruthy();
  });

  it('says in a sentence why a provider sign-in came back, once', async () => {
    vi.spyOn(api, 'providers').mockResolvedValue(both);
    history.replaceState(null, '', '/?authError=email_unverified');
    renderScreen();
    expect(screen.getByRole('alert').textContent).toMatch(/email address is not verified with the provider/);
    await vi.waitFor(() => expect(location.search).toBe(''));
  });
});

describe('linked accounts', () => {
  it('lists the sign-in methods, links the missing provider, and sets a first password', async () => {
    vi.spyOn(api, 'providers').mockResolvedValue(both);
    const session = vi
      .spyOn(api, 'session')
      .mockResolvedValueOnce({ user: user(['google']), csrfToken: 't' })
      .mockResolvedValue({ user: user(['password', 'google']), csrfToken: 't' });
    const setPassword = vi.spyOn(api, 'setPassword').mockResolvedValue(undefined);
    history.replaceState(null, '', '/usage');
    render(
      <SessionProvider>
        <LinkedAccounts />
      </SessionProvider>,
    );
    const link = await screen.findByRole('link', { name: 'Link Microsoft' });
    expect(link.getAttribute('href')).toBe('/api/auth/microsoft?returnTo=%2Fusage');
    expect(screen.queryByRole('link', { name: 'Link Google' })).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Set a password' }));
    expect(screen.queryByLabelText('Current password')).toBeNull();
    fireEvent.input(screen.getByLabelText('New password'), { target: { value: 'a good password' } });
    fireEvent.click(screen.getByRole('button', { name: 'Set password' }));
    await vi.waitFor(() => expect(setPassword).toHaveBeenCalledWith({ newPassword: 'a good password' }));
    await screen.findByText('Password set.');
    await vi.waitFor(() => expect(session).toHaveBeenCalledTimes(2));
    expect(await screen.findByRole('button', { name: 'Change password' })).toBeTruthy();
  });

  it('shows why a link came back refused', async () => {
    vi.spyOn(api, 'providers').mockResolvedValue(both);
    vi.spyOn(api, 'session').mockResolvedValue({ user: user(['password']), csrfToken: 't' });
    history.replaceState(null, '', '/usage?authError=already_linked');
    render(
      <SessionProvider>
        <LinkedAccounts />
      </SessionProvider>,
    );
    expect((await screen.findByRole('status')).textContent).toMatch(/already signs in to another account/);
  });
});
