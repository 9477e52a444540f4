import { cleanup, fireEvent, render, screen } from '@testing-library/preact';
import { useState } from 'preact/hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Model } from '../../../shared/contracts/models';
import type { DraftUpdate } from '../chat/drafts';
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

type Props = Parameters<typeof Composer>[0];

/** The composer with its draft held the way ChatView holds it. */
function Harness(props: Omit<Props, 'draft' | 'onDraftChange'>) {
  const [draft, setDraft] = useState('');
  const change = (update: DraftUpdate) =>
    setDraft((current) => (typeof update === 'function' ? update(current) : update));
  return <Composer {...props} draft={draft} onDraftChange={change} />;
}

function setup(props: Partial<Props> = {}) {
  const onSend = vi.fn(async () => true);
  const onStop = vi.fn();
  render(<Harness model={paid} historyChars={0} busy={false} onSend={onSend} onStop={onStop} {...props} />);
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

  it('does not send blank text', () => {
    const { input, onSend } = setup();
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(onSend).not.toHaveBeenCalled();
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Send message' }).disabled).toBe(true);
  });

  it('stays usable while a reply is written: Stop, and the next message can be written and sent', async () => {
    const { input, onSend, onStop } = setup({ busy: true });
    expect(input.disabled).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'Stop reply' }));
    expect(onStop).toHaveBeenCalled();
    // No Send button for an empty box; one appears with text, and Enter works too.
    expect(screen.queryByRole('button', { name: 'Send message' })).toBeNull();
    fireEvent.input(input, { target: { value: 'next question' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send message' }));
    expect(onSend).toHaveBeenCalledWith('next question');
    await vi.waitFor(() => expect(input.value).toBe(''));
  });

  it('gives the text back when the message is refused', async () => {
    const onSend = vi.fn(async () => false);
    const { input } = setup({ onSend });
    fireEvent.input(input, { target: { value: 'no credits left' } });
    fireEvent.keyDown(input, { key: 'Enter' });
    await vi.waitFor(() => expect(input.value).toBe('no credits left'));
  });

  it('lets a message be written before the models have loaded, but not sent when they failed', () => {
    const { input, onSend } = setup({ model: undefined, waitingReason: 'Loading models…' });
    expect(input.placeholder).toBe('Loading models…');
    fireEvent.input(input, { target: { value: 'early bird' } });
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(onSend).toHaveBeenCalledWith('early bird');
    cleanup();

    const failed = setup({ model: undefined, blockedReason: 'The models could not be loaded.' });
    fireEvent.input(failed.input, { target: { value: 'stuck' } });
    fireEvent.keyDown(failed.input, { key: 'Enter' });
    expect(failed.onSend).not.toHaveBeenCalled();
  });

  it('offers the reply length as a compact choice', () => {
    const onMaxTokensChange = vi.fn();
    setup({ maxTokens: 2000, onMaxTokensChange });
    const select = screen.getByLabelText<HTMLSelectElement>('Reply length');
    expect(select.value).toBe('2000');
    fireEvent.change(select, { target: { value: '8000' } });
    expect(onMaxTokensChange).toHaveBeenLastCalledWith(8000);
    fireEvent.change(select, { target: { value: '' } });
    expect(onMaxTokensChange).toHaveBeenLastCalledWith(null);
  });

  it('lists queued messages and gives one back on request', () => {
    const onUnqueue = vi.fn();
    setup({ busy: true, queued: [{ id: 7, content: 'after this one' }], onUnqueue });
    const list = screen.getByRole('list', { name: 'Queued messages' });
    expect(list.textContent).toContain('after this one');
    fireEvent.click(screen.getByRole('button', { name: 'Take back the queued message' }));
    expect(onUnqueue).toHaveBeenCalledWith(7);
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
