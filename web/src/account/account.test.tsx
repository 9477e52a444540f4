import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { User } from '../../../shared/contracts/auth';
import { api, ApiError } from '../api';
import { SessionProvider, useSession } from '../session';
import { DeleteAccount } from './DeleteAccount';
import { SpendingSettings } from './SpendingSettings';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
  history.replaceState(null, '', '/');
});

const user = (extra: Partial<User> = {}): User => ({
  id: 'u1',
  email: 'ada@example.com',
  name: 'Ada',
  credits: 100,
  memoryEnabled: true,
  monthlySpendCapCredits: null,
  lowBalanceCredits: null,
  identities: ['password'],
  createdAt: new Date(0).toISOString(),
  ...extra,
});

/** What the session says, as a line on the page: the tests see the sign-out happen. */
function SessionStatus() {
  const { state } = useSession();
  return <p data-testid="status">{state.status}</p>;
}

describe('SpendingSettings', () => {
  const renderForm = (u: User) =>
    render(
      <SessionProvider>
        <SpendingSettings user={u} />
      </SessionProvider>,
    );

  it('sends only what changed; an emptied field is "none" (null)', async () => {
    vi.spyOn(api, 'session').mockResolvedValue({ user: user(), csrfToken: 't' });
    const update = vi
      .spyOn(api, 'updateSettings')
      .mockResolvedValue({ user: user({ monthlySpendCapCredits: 500_000, lowBalanceCredits: null }) });
    renderForm(user({ lowBalanceCredits: 2000 }));
    const cap = screen.getByLabelText<HTMLInputElement>('Monthly spending cap (credits)');
    const low = screen.getByLabelText<HTMLInputElement>('Warn me when my balance falls below (credits)');
    expect(cap.value).toBe('');
    expect(low.value).toBe('2000');
    fireEvent.input(cap, { target: { value: '500000' } });
    fireEvent.input(low, { target: { value: '' } });
    expect(screen.getByText(/^\$5\.00\./)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Save spending settings' }));
    await screen.findByText('Saved.');
    expect(update).toHaveBeenCalledWith({ monthlySpendCapCredits: 500_000, lowBalanceCredits: null });
    expect(low.value).toBe('');
  });

  it("shows the server's validation sentence under the field it is about", async () => {
    vi.spyOn(api, 'session').mockResolvedValue({ user: user(), csrfToken: 't' });
    vi.spyOn(api, 'updateSettings').mockRejectedValue(
      new ApiError(
        400,
        'invalid_request',
        'monthlySpendCapCredits: The spending cap is a whole number of credits. lowBalanceCredits: The low-balance warning cannot be negative.',
      ),
    );
    renderForm(user());
    const cap = screen.getByLabelText<HTMLInputElement>('Monthly spending cap (credits)');
    const low = screen.getByLabelText<HTMLInputElement>('Warn me when my balance falls below (credits)');
    fireEvent.input(cap, { target: { value: '1.5' } });
    fireEvent.input(low, { target: { value: '-3' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save spending settings' }));
    await waitFor(() => expect(cap.getAttribute('aria-invalid')).toBe('true'));
    const described = (el: HTMLElement) =>
      (el.getAttribute('aria-describedby') ?? '')
        .split(' ')
        .map((id) => document.getElementById(id)?.textContent)
        .join(' ');
    expect(described(cap)).toContain('The spending cap is a whole number of credits.');
    expect(described(low)).toContain('The low-balance warning cannot be negative.');
    expect(described(cap)).not.toContain('low-balance');
  });
});

describe('DeleteAccount', () => {
  const renderIt = (u: User) =>
    render(
      <SessionProvider>
        <SessionStatus />
        <DeleteAccount user={u} />
      </SessionProvider>,
    );

  it('asks for the password of an account that has one, and signs out once deleted', async () => {
    vi.spyOn(api, 'session')
      .mockResolvedValueOnce({ user: user(), csrfToken: 't' })
      .mockRejectedValue(new ApiError(401, 'unauthenticated', 'Sign in.'));
    const remove = vi
      .spyOn(api, 'deleteAccount')
      .mockRejectedValueOnce(new ApiError(401, 'invalid_credentials', 'Wrong password.'))
      .mockResolvedValueOnce(undefined);
    history.replaceState(null, '', '/settings');
    renderIt(user());
    await screen.findByText('signed-in');
    fireEvent.click(screen.getByRole('button', { name: 'Delete account…' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete your account?' });
    const confirm = within(dialog).getByRole('button', { name: 'Delete account' });
    fireEvent.click(confirm);
    expect(within(dialog).getByRole('alert').textContent).toBe('Enter your password to delete the account.');
    expect(remove).not.toHaveBeenCalled();

    fireEvent.input(within(dialog).getByLabelText('Your password'), { target: { value: 'wrong one' } });
    fireEvent.click(confirm);
    await waitFor(() =>
      expect(within(dialog).getByRole('alert').textContent).toBe('That password is not correct.'),
    );
    expect(screen.getByTestId('status').textContent).toBe('signed-in');

    fireEvent.input(within(dialog).getByLabelText('Your password'), { target: { value: 'correct horse' } });
    fireEvent.click(confirm);
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('signed-out'));
    expect(remove).toHaveBeenLastCalledWith({ password: 'correct horse' });
    expect(location.pathname).toBe('/');
  });

  it('asks no password of an account that signs in with a provider only', async () => {
    vi.spyOn(api, 'session')
      .mockResolvedValueOnce({ user: user({ identities: ['google'] }), csrfToken: 't' })
      .mockRejectedValue(new ApiError(401, 'unauthenticated', 'Sign in.'));
    const remove = vi.spyOn(api, 'deleteAccount').mockResolvedValue(undefined);
    renderIt(user({ identities: ['google'] }));
    await screen.findByText('signed-in');
    fireEvent.click(screen.getByRole('button', { name: 'Delete account…' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete your account?' });
    expect(within(dialog).queryByLabelText('Your password')).toBeNull();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete account' }));
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('signed-out'));
    expect(remove).toHaveBeenCalledWith({});
  });
});
