import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { User } from '../../../shared/contracts/auth';
import type { Memory } from '../../../shared/contracts/memories';
import { api, ApiError } from '../api';
import { SessionProvider } from '../session';
import { MemorySection } from './MemorySection';

const user = (memoryEnabled = true): User => ({
  id: 'u1',
  email: 'ada@example.com',
  name: 'Ada',
  credits: 100,
  memoryEnabled,
  monthlySpendCapCredits: null,
  lowBalanceCredits: null,
  identities: ['password'],
  createdAt: new Date(0).toISOString(),
});

const memory = (id: string, text: string, extra: Partial<Memory> = {}): Memory => ({
  id,
  text,
  kind: 'fact',
  source: 'extracted',
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  ...extra,
});

beforeEach(() => {
  vi.spyOn(api, 'session').mockResolvedValue({ user: user(), csrfToken: 't' });
});
afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
  history.replaceState(null, '', '/');
});

const renderSection = () =>
  render(
    <SessionProvider>
      <MemorySection />
    </SessionProvider>,
  );

const list = () => screen.getByRole('list', { name: 'What is remembered' });

describe('MemorySection', () => {
  it('lists what is remembered, saying where each came from', async () => {
    vi.spyOn(api, 'memories').mockResolvedValue({
      memories: [
        memory('m1', 'Is vegetarian'),
        memory('m2', 'Prefers short answers', { kind: 'preference', source: 'user' }),
      ],
    });
    renderSection();
    await screen.findByText('Is vegetarian');
    const items = within(list()).getAllByRole('listitem');
    expect(items.map((li) => li.querySelector('p')?.textContent)).toEqual([
      'Is vegetarian',
      'Prefers short answers',
    ]);
    expect(items[0]!.textContent).toContain('learned from a chat');
    expect(items[1]!.textContent).toContain('Preference');
    expect(items[1]!.textContent).toContain('added or edited by you');
  });

  it('adds one by hand, and shows the server’s sentence when it refuses', async () => {
    vi.spyOn(api, 'memories').mockResolvedValue({ memories: [] });
    const create = vi
      .spyOn(api, 'createMemory')
      .mockRejectedValueOnce(new ApiError(400, 'invalid_request', 'text: Write what should be remembered.'))
      .mockResolvedValueOnce({ memory: memory('m9', 'Prefers metric units', { source: 'user' }) });
    renderSection();
    await screen.findByText('Nothing is remembered about you.');
    fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Write what should be remembered.');
    fireEvent.input(screen.getByLabelText('Add a memory'), { target: { value: 'Prefers metric units' } });
    fireEvent.change(screen.getByLabelText('Kind'), { target: { value: 'preference' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    await waitFor(() => expect(within(list()).getByText('Prefers metric units')).toBeTruthy());
    expect(create).toHaveBeenLastCalledWith({ text: 'Prefers metric units', kind: 'preference' });
    expect(screen.getByLabelText<HTMLInputElement>('Add a memory').value).toBe('');
  });

  it('edits a memory in place and deletes another', async () => {
    vi.spyOn(api, 'memories').mockResolvedValue({
      memories: [memory('m1', 'Lives in Lyon'), memory('m2', 'Is vegetarian')],
    });
    const update = vi
      .spyOn(api, 'updateMemory')
      .mockResolvedValue({ memory: memory('m1', 'Lives in Paris', { source: 'user' }) });
    const remove = vi.spyOn(api, 'deleteMemory').mockResolvedValue(undefined);
    renderSection();
    await screen.findByText('Lives in Lyon');
    fireEvent.click(screen.getByRole('button', { name: 'Edit “Lives in Lyon”' }));
    fireEvent.input(screen.getByLabelText('Edit memory'), { target: { value: 'Lives in Paris' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await screen.findByText('Lives in Paris');
    expect(update).toHaveBeenCalledWith('m1', 'Lives in Paris');
    expect(screen.queryByText('Lives in Lyon')).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Delete “Is vegetarian”' }));
    await waitFor(() => expect(screen.queryByText('Is vegetarian')).toBeNull());
    expect(remove).toHaveBeenCalledWith('m2');
    expect(within(list()).getAllByRole('listitem')).toHaveLength(1);
  });

  it('forgets everything only once confirmed', async () => {
    vi.spyOn(api, 'memories').mockResolvedValue({
      memories: [memory('m1', 'Lives in Lyon'), memory('m2', 'Is vegetarian')],
    });
    const forget = vi.spyOn(api, 'forgetMemories').mockResolvedValue(undefined);
    renderSection();
    await screen.findByText('Lives in Lyon');
    fireEvent.click(screen.getByRole('button', { name: 'Forget everything' }));
    const dialog = screen.getByRole('dialog', { name: 'Forget everything?' });
    expect(dialog.textContent).toContain('All 2 memories are deleted for good');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(forget).not.toHaveBeenCalled();
    expect(screen.getByText('Lives in Lyon')).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Forget everything' }));
    fireEvent.click(
      within(screen.getByRole('dialog', { name: 'Forget everything?' })).getByRole('button', {
        name: 'Forget everything',
      }),
    );
    await screen.findByText('Nothing is remembered about you.');
    expect(forget).toHaveBeenCalledTimes(1);
  });

  it('turns memory off for the account', async () => {
    vi.spyOn(api, 'memories').mockResolvedValue({ memories: [] });
    vi.spyOn(api, 'session')
      .mockResolvedValueOnce({ user: user(true), csrfToken: 't' })
      .mockResolvedValue({ user: user(false), csrfToken: 't' });
    const settings = vi.spyOn(api, 'updateSettings').mockResolvedValue({ user: user(false) });
    renderSection();
    const toggle = await screen.findByRole<HTMLInputElement>('switch', { name: 'Remember what I tell you' });
    expect(toggle.checked).toBe(true);
    fireEvent.click(toggle);
    await waitFor(() => expect(toggle.checked).toBe(false));
    expect(settings).toHaveBeenCalledWith({ memoryEnabled: false });
    expect(screen.getByText(/Memory is off/)).toBeTruthy();
  });

  it('shows the choice at once, and puts it back with the reason when the server refuses it', async () => {
    vi.spyOn(api, 'memories').mockResolvedValue({ memories: [] });
    let refuse: (err: Error) => void = () => undefined;
    vi.spyOn(api, 'updateSettings').mockReturnValue(
      new Promise((_, reject) => {
        refuse = reject;
      }),
    );
    renderSection();
    const toggle = await screen.findByRole<HTMLInputElement>('switch', { name: 'Remember what I tell you' });
    fireEvent.click(toggle);
    expect(toggle.checked).toBe(false);
    refuse(new ApiError(503, 'unavailable', 'The service is unavailable right now. Try again in a moment.'));
    await waitFor(() => expect(toggle.checked).toBe(true));
    expect(screen.getByRole('alert').textContent).toBe(
      'The service is unavailable right now. Try again in a moment.',
    );
  });
});
