import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Conversation } from '../../../shared/contracts/conversations';
import { api } from '../api';
import ConversationSettingsDialog from './ConversationSettingsDialog';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const conversation: Conversation = {
  id: 'c1',
  title: 'Chat',
  model: 'x/m',
  systemPrompt: 'Be brief.',
  temperature: 0.7,
  maxTokens: 1000,
  pinned: false,
  incognito: false,
  activeMessageId: null,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
};

describe('ConversationSettingsDialog', () => {
  it("shows the chat's settings and saves the changed ones; emptied fields go back to the default", async () => {
    vi.spyOn(api, 'getConversation').mockResolvedValue({ conversation, messages: [] });
    const update = vi
      .spyOn(api, 'updateConversation')
      .mockResolvedValue({ conversation: { ...conversation, systemPrompt: null, temperature: 1.2 } });
    const onSaved = vi.fn();
    const onClose = vi.fn();
    render(<ConversationSettingsDialog conversationId="c1" onSaved={onSaved} onClose={onClose} />);
    const prompt = screen.getByLabelText<HTMLTextAreaElement>('System prompt');
    await waitFor(() => expect(prompt.value).toBe('Be brief.'));
    expect(screen.getByLabelText<HTMLInputElement>('Temperature').value).toBe('0.7');
    expect(screen.getByLabelText<HTMLSelectElement>('Reply length').value).toBe('1000');

    fireEvent.input(prompt, { target: { value: '   ' } });
    fireEvent.input(screen.getByLabelText('Temperature'), { target: { value: '1.2' } });
    fireEvent.change(screen.getByLabelText('Reply length'), { target: { value: '' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(update).toHaveBeenCalledWith('c1', { systemPrompt: null, temperature: 1.2, maxTokens: null });
    expect(onSaved).toHaveBeenCalledWith(expect.objectContaining({ temperature: 1.2 }));
  });

  it('refuses a temperature out of range before sending anything', async () => {
    vi.spyOn(api, 'getConversation').mockResolvedValue({ conversation, messages: [] });
    const update = vi.spyOn(api, 'updateConversation');
    render(<ConversationSettingsDialog conversationId="c1" onSaved={vi.fn()} onClose={vi.fn()} />);
    await waitFor(() => expect(screen.getByLabelText<HTMLInputElement>('Temperature').value).toBe('0.7'));
    fireEvent.input(screen.getByLabelText('Temperature'), { target: { value: '5' } });
    // Past the browser's own range check (min/max on the field), the dialog checks again.
    fireEvent.submit(screen.getByRole('button', { name: 'Save' }).closest('form')!);
    await screen.findByText(/Temperature goes from 0 to 2/);
    expect(update).not.toHaveBeenCalled();
  });
});
