import { cleanup, fireEvent, render, screen, within } from '@testing-library/preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Message } from '../../../shared/contracts/conversations';
import type { ChatMessage } from '../chat/use-chat';
import { loadRetryableCodes } from '../chat/retryable';
import * as markdown from '../markdown/render';
import { MessageList } from './MessageList';

const message = (m: Partial<Message> & Pick<Message, 'id' | 'role'>): ChatMessage => ({
  parentId: null,
  siblingIds: [m.id],
  content: '',
  reasoning: null,
  model: 'x/free',
  status: 'complete',
  error: null,
  imageIds: [],
  citations: [],
  usage: null,
  feedback: null,
  maxTokens: null,
  finishReason: null,
  createdAt: '2025-01-01T00:00:00Z',
  ...m,
});

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

function show(messages: ChatMessage[], idle = true) {
  const handlers = {
    onRetry: vi.fn(),
    onRegenerate: vi.fn(),
    onEdit: vi.fn(async () => true),
    onSwitchVersion: vi.fn(),
  };
  render(<MessageList messages={messages} modelsById={new Map()} idle={idle} {...handlers} />);
  return handlers;
}

const replies = () => screen.getAllByRole('article').filter((a) => a.classList.contains('message-assistant'));

describe('MessageList: a message that cannot be formatted', () => {
  it('shows 2,000 nested quotes as plain text and the rest of the conversation as usual', () => {
    const deep = `${'> '.repeat(2000)}deep`;
    show([
      message({ id: 'u1', role: 'user', content: 'Quote this' }),
      message({ id: 'a1', role: 'assistant', parentId: 'u1', content: deep }),
      message({ id: 'u2', role: 'user', parentId: 'a1', content: 'And now?' }),
      message({ id: 'a2', role: 'assistant', parentId: 'u2', content: 'A **bold** answer' }),
    ]);
    const [first, second] = replies();
    expect(first?.querySelector('[data-plain]')?.textContent).toBe(deep);
    expect(first?.querySelector('blockquote')).toBeNull();
    expect(second?.querySelector('strong')?.textContent).toBe('bold');
    expect(screen.getByText('And now?')).toBeTruthy();
  });

  it('shows a message plain when its renderer throws, and keeps the others formatted', () => {
    const real = markdown.renderMarkdown;
    vi.spyOn(markdown, 'renderMarkdown').mockImplementation((text, options) => {
      if (text.includes('boom')) throw new Error('renderer bug');
      return real(text, options);
    });
    show([
      message({ id: 'a1', role: 'assistant', content: 'this goes *boom*' }),
      message({ id: 'a2', role: 'assistant', content: 'this is *fine*' }),
    ]);
    const [broken, fine] = replies();
    expect(broken?.querySelector('[data-plain]')?.textContent).toBe('this goes *boom*');
    expect(fine?.querySelector('em')?.textContent).toBe('fine');
    // The broken message keeps its actions.
    expect(within(broken!).getByRole('button', { name: 'Regenerate reply' })).toBeTruthy();
  });
});

describe('MessageList: versions, edit, regenerate, copy', () => {
  it('offers "< 2/3 >" on messages with siblings and switches to the neighbour', () => {
    const handlers = show([
      message({ id: 'u1', role: 'user', content: 'Q', siblingIds: ['u0', 'u1', 'u9'] }),
      message({ id: 'a1', role: 'assistant', parentId: 'u1', content: 'A', siblingIds: ['a1', 'a2'] }),
    ]);
    const [userVersions, replyVersions] = screen.getAllByRole('group', { name: 'Versions' });
    expect(userVersions?.textContent).toContain('2/3');
    fireEvent.click(within(userVersions!).getByRole('button', { name: 'Previous version' }));
    expect(handlers.onSwitchVersion).toHaveBeenLastCalledWith('u0');
    fireEvent.click(within(userVersions!).getByRole('button', { name: 'Next version' }));
    expect(handlers.onSwitchVersion).toHaveBeenLastCalledWith('u9');
    expect(replyVersions?.textContent).toContain('1/2');
    expect(
      within(replyVersions!).getByRole<HTMLButtonElement>('button', { name: 'Previous version' }).disabled,
    ).toBe(true);
  });

  it('has no switcher for a message with one version, and none works while a reply runs', () => {
    show(
      [
        message({ id: 'u1', role: 'user', content: 'Q' }),
        message({ id: 'a1', role: 'assistant', parentId: 'u1', content: 'A', siblingIds: ['a0', 'a1'] }),
      ],
      false,
    );
    const groups = screen.getAllByRole('group', { name: 'Versions' });
    expect(groups).toHaveLength(1);
    expect(
      within(groups[0]!).getByRole<HTMLButtonElement>('button', { name: 'Previous version' }).disabled,
    ).toBe(true);
  });

  it('edits a user message inline and saves it', async () => {
    const handlers = show([message({ id: 'u1', role: 'user', content: 'Frist try' })]);
    fireEvent.click(screen.getByRole('button', { name: 'Edit message' }));
    const editor = screen.getByLabelText<HTMLTextAreaElement>('Edit message');
    expect(editor.value).toBe('Frist try');
    fireEvent.input(editor, { target: { value: 'First try' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save and send' }));
    expect(handlers.onEdit).toHaveBeenCalledWith('u1', 'First try');
    await vi.waitFor(() =>
      expect(screen.queryByLabelText('Edit message', { selector: 'textarea' })).toBeNull(),
    );
  });

  it('regenerates and copies every reply', () => {
    const writeText = vi.fn(async () => undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const handlers = show([
      message({ id: 'a1', role: 'assistant', content: 'One' }),
      message({ id: 'a2', role: 'assistant', content: 'Two' }),
    ]);
    const [, second] = replies();
    fireEvent.click(within(second!).getByRole('button', { name: 'Regenerate reply' }));
    expect(handlers.onRegenerate).toHaveBeenCalledWith('a2');
    fireEvent.click(within(second!).getByRole('button', { name: 'Copy reply' }));
    expect(writeText).toHaveBeenCalledWith('Two');
  });
});

describe('AssistantMessage: how a reply ended', () => {
  it('a failed reply shows its sentence and a Retry that asks for a new version', async () => {
    await loadRetryableCodes();
    const handlers = show([
      message({
        id: 'a1',
        role: 'assistant',
        status: 'failed',
        content: 'Half',
        error: { code: 'upstream_failed', message: 'The model provider failed midway. Try again.' },
      }),
    ]);
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('The model provider failed midway. Try again.');
    fireEvent.click(within(alert).getByRole('button', { name: 'Retry' }));
    expect(handlers.onRetry).toHaveBeenCalledWith('a1');
  });

  it('offers no Retry where retrying cannot help, and Buy credits where credits can', async () => {
    await loadRetryableCodes();
    show([
      message({
        id: 'a1',
        role: 'assistant',
        status: 'failed',
        error: { code: 'insufficient_credits', message: 'Your balance ran out during this reply.' },
      }),
    ]);
    const alert = screen.getByRole('alert');
    expect(within(alert).queryByRole('button', { name: 'Retry' })).toBeNull();
    expect(within(alert).getByRole('link', { name: 'Buy credits' })).toBeTruthy();
  });

  it('says when the balance capped the reply length, and why a reply was cut', () => {
    show([
      message({
        id: 'a1',
        role: 'assistant',
        content: 'Short',
        maxTokens: 1200,
        requestedMaxTokens: 8000,
        status: 'streaming',
      } as ChatMessage),
      message({ id: 'a2', role: 'assistant', content: 'Cut', maxTokens: 300, finishReason: 'balance' }),
      message({ id: 'a3', role: 'assistant', content: 'Long', maxTokens: 500, finishReason: 'length' }),
      message({
        id: 'a4',
        role: 'assistant',
        content: 'Slow',
        status: 'stopped',
        finishReason: 'time_limit',
      }),
    ]);
    const [capped, balance, length, time] = replies();
    expect(capped?.textContent).toContain('Capped at 1,200 tokens by your balance.');
    expect(balance?.querySelector('[data-reason="balance"]')?.textContent).toMatch(
      /cut short at 300 tokens because your balance/,
    );
    expect(within(balance!).getByRole('link', { name: 'Buy credits' }).getAttribute('href')).toBe('/billing');
    expect(length?.querySelector('[data-reason="length"]')?.textContent).toContain(
      'length limit of 500 tokens',
    );
    expect(time?.querySelector('[data-reason="time_limit"]')?.textContent).toContain('time limit');
  });
});
