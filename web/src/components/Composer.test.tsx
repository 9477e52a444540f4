import { cleanup, fireEvent, render, screen } from '@testing-library/preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Model } from '../../../shared/contracts/models';
import { Composer } from './Composer';

const paid: Model = {
  id: 'x/paid',
  name: 'X: Paid',
  contextLength: 8000,
  free: false,
  vision: false,
  reasoning: false,
  pricing: { promptPerMTok: 300_000, completionPerMTok: 1_200_000 },
};

afterEach(cleanup);

function setup(props: Partial<Parameters<typeof Composer>[0]> = {}) {
  const onSend = vi.fn(async () => true);
  const onStop = vi.fn();
  render(<Composer model={paid} historyChars={0} busy={false} onSend={onSend} onStop={onStop} {...props} />);
  const input = screen.getByLabelText<HTMLTextAreaElement>('Message');
  return { input, onSend, onStop };
}

describe('Composer', () => {
  it('sends on Enter and keeps Shift+Enter for a new line', async () => {
    const { input, onSend } = setup();
    fireEvent.input(input, { target: { value: 'first line' } });
    fireEvent.keyDown(input, { key: 'Enter', shiftKey: true });
    expect(onSend).not.toHaveBeenCalled();
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(onSend).toHaveBeenCalledWith('first line');
    await vi.waitFor(() => expect(input.value).toBe(''));
  });

  it('does not send blank text or while a reply is running, and offers Stop instead', () => {
    const { input, onSend } = setup();
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(onSend).not.toHaveBeenCalled();
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Send message' }).disabled).toBe(true);
    cleanup();

    const busy = setup({ busy: true });
    expect(busy.input.disabled).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Stop reply' }));
    expect(busy.onStop).toHaveBeenCalled();
  });

  it('gives the text back when the message is refused', async () => {
    const onSend = vi.fn(async () => false);
    const { input } = setup({ onSend });
    fireEvent.input(input, { target: { value: 'no credits left' } });
    fireEvent.keyDown(input, { key: 'Enter' });
    await vi.waitFor(() => expect(input.value).toBe('no credits left'));
  });

  it('shows what sending would cost with the chosen model, or that it is free', () => {
    const { input } = setup({ historyChars: 4000 });
    fireEvent.input(input, { target: { value: 'x'.repeat(400) } });
    // (1000 + 100) prompt tokens × 300,000 + 500 reply tokens × 1,200,000, per million.
    expect(screen.getByText(/≈ 930 credits/).textContent).toContain('for a 500-token reply');
    cleanup();
    setup({ model: { ...paid, free: true } });
    expect(screen.getByText('Free model · no credits used')).toBeTruthy();
  });
});
