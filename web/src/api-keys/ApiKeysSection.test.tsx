import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApiKey } from '../../../shared/contracts/api-keys';
import { api, ApiError } from '../api';
import { ApiKeysSection } from './ApiKeysSection';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const key = (id: string, name: string, extra: Partial<ApiKey> = {}): ApiKey => ({
  id,
  name,
  prefix: `gm-${id}abcdefghij`,
  spendLimitCredits: null,
  spentCredits: 0,
  createdAt: '2026-11-30T10:00:00Z',
  lastUsedAt: null,
  ...extra,
});

describe('ApiKeysSection', () => {
  it('lists keys by prefix with what each spent, never a secret', async () => {
    vi.spyOn(api, 'apiKeys').mockResolvedValue({
      keys: [
        key('k1', 'editor', {
          spentCredits: 1234,
          spendLimitCredits: 5000,
          lastUsedAt: '2026-12-01T09:00:00Z',
        }),
      ],
    });
    render(<ApiKeysSection defaultModel="openai/gpt-4o-mini" />);
    const row = (await screen.findByText('editor')).closest('tr')!;
    expect(row.textContent).toContain('gm-k1abcdefghij…');
    expect(row.textContent).toContain('1,234 / 5,000');
    expect(screen.queryByTestId('api-key-secret')).toBeNull();
  });

  it('shows a new secret once, with examples that use it against this server', async () => {
    const list = vi.spyOn(api, 'apiKeys').mockResolvedValue({ keys: [] });
    const create = vi
      .spyOn(api, 'createApiKey')
      .mockRejectedValueOnce(
        new ApiError(400, 'invalid_request', 'name: Give the key a name, such as the app that will use it.'),
      )
      .mockResolvedValueOnce({ key: key('k2', 'script'), secret: 'gm-SECRET123' });
    render(<ApiKeysSection defaultModel="openai/gpt-4o-mini" />);
    await screen.findByText('No API keys yet.');
    fireEvent.click(screen.getByRole('button', { name: 'Create key' }));
    expect((await screen.findByText(/Give the key a name/)).id).toBe('api-key-name-error');

    fireEvent.input(screen.getByLabelText('Name'), { target: { value: 'script' } });
    fireEvent.input(screen.getByLabelText('Spend limit (credits, optional)'), { target: { value: '2000' } });
    list.mockResolvedValue({ keys: [key('k2', 'script')] });
    fireEvent.click(screen.getByRole('button', { name: 'Create key' }));
    expect((await screen.findByTestId('api-key-secret')).textContent).toBe('gm-SECRET123');
    expect(create).toHaveBeenLastCalledWith({ name: 'script', spendLimitCredits: 2000 });
    const snippet = () => screen.getByRole('tabpanel').textContent;
    expect(snippet()).toContain('Authorization: Bearer gm-SECRET123');
    expect(snippet()).toContain(`${location.origin}/api/v1/chat/completions`);
    fireEvent.click(screen.getByRole('tab', { name: 'Python' }));
    expect(snippet()).toContain(`OpenAI(base_url="${location.origin}/api/v1", api_key="gm-SECRET123")`);
    fireEvent.click(screen.getByRole('tab', { name: 'JavaScript' }));
    expect(snippet()).toContain("model: 'openai/gpt-4o-mini'");

    fireEvent.click(screen.getByRole('button', { name: 'Done' }));
    expect(screen.queryByTestId('api-key-secret')).toBeNull();
    expect(screen.queryByText(/gm-SECRET123/)).toBeNull();
  });

  it('revokes a key after confirming', async () => {
    const list = vi.spyOn(api, 'apiKeys').mockResolvedValue({ keys: [key('k1', 'editor'), key('k3', 'ci')] });
    const revoke = vi.spyOn(api, 'revokeApiKey').mockResolvedValue(undefined);
    render(<ApiKeysSection defaultModel="openai/gpt-4o-mini" />);
    fireEvent.click(await screen.findByRole('button', { name: 'Revoke editor' }));
    const dialog = screen.getByRole('dialog');
    expect(dialog.textContent).toContain('“editor” stops working at once');
    list.mockResolvedValue({ keys: [key('k3', 'ci')] });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Revoke key' }));
    await waitFor(() => expect(screen.queryByText('editor')).toBeNull());
    expect(revoke).toHaveBeenCalledWith('k1');
    expect(screen.getByText('ci')).toBeTruthy();
  });
});
