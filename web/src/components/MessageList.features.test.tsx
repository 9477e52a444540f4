import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Message } from '../../../shared/contracts/conversations';
import { api } from '../api';
import type { ChatMessage } from '../chat/use-chat';
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

const handlers = () => ({
  onRetry: vi.fn(),
  onRegenerate: vi.fn(),
  onEdit: vi.fn(async () => true),
  onSwitchVersion: vi.fn(),
});

/** jsdom has no layout: give the scroller the geometry of a long conversation scrolled up. */
function scrolledUp(el: HTMLElement) {
  Object.defineProperty(el, 'scrollHeight', { configurable: true, value: 2000 });
  Object.defineProperty(el, 'clientHeight', { configurable: true, value: 500 });
  el.scrollTop = 200;
  fireEvent.scroll(el);
}

describe('MessageList: jump to latest', () => {
  it('appears when scrolled up during a stream and brings the view back down', async () => {
    const messages = [
      message({ id: 'u1', role: 'user', content: 'Tell me a long story' }),
      message({
        id: 'a1',
        role: 'assistant',
        parentId: 'u1',
        content: 'Once upon a time',
        status: 'streaming',
      }),
    ];
    const { container } = render(
      <MessageList messages={messages} modelsById={new Map()} idle={false} {...handlers()} />,
    );
    const scroller = container.querySelector<HTMLElement>('.message-scroller')!;
    expect(screen.queryByRole('button', { name: /jump to latest/i })).toBeNull();
    scrolledUp(scroller);
    const jump = await screen.findByRole('button', { name: /jump to latest/i });
    fireEvent.click(jump);
    expect(scroller.scrollTop).toBe(2000);
    await waitFor(() => expect(screen.queryByRole('button', { name: /jump to latest/i })).toBeNull());
  });

  it('is not offered when no reply is streaming', () => {
    const messages = [
      message({ id: 'u1', role: 'user', content: 'Hi' }),
      message({ id: 'a1', role: 'assistant', parentId: 'u1', content: 'Hello' }),
    ];
    const { container } = render(
      <MessageList messages={messages} modelsById={new Map()} idle {...handlers()} />,
    );
    scrolledUp(container.querySelector<HTMLElement>('.message-scroller')!);
    expect(screen.queryByRole('button', { name: /jump to latest/i })).toBeNull();
  });
});

describe('MessageList: feedback on replies', () => {
  it('shows the stored rating, sends a new one with a comment, and takes it back', async () => {
    const set = vi.spyOn(api, 'setFeedback').mockResolvedValue({
      feedback: { messageId: 'a1', rating: 'down', comment: null, updatedAt: '' },
    });
    const clear = vi.spyOn(api, 'clearFeedback').mockResolvedValue(undefined);
    const messages = [
      message({ id: 'u1', role: 'user', content: 'Hi' }),
      message({
        id: 'a1',
        role: 'assistant',
        parentId: 'u1',
        content: 'Hello',
        feedback: { rating: 'up', comment: null },
      }),
    ];
    render(<MessageList messages={messages} modelsById={new Map()} idle {...handlers()} />);
    const up = screen.getByRole('button', { name: 'Good reply' });
    const down = screen.getByRole('button', { name: 'Bad reply' });
    expect(up.getAttribute('aria-pressed')).toBe('true');
    expect(down.getAttribute('aria-pressed')).toBe('false');

    fireEvent.click(down);
    expect(down.getAttribute('aria-pressed')).toBe('true');
    expect(set).toHaveBeenCalledWith('a1', { rating: 'down' });
    fireEvent.input(screen.getByLabelText(/what was wrong/i), { target: { value: 'It made things up' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    await waitFor(() =>
      expect(set).toHaveBeenLastCalledWith('a1', { rating: 'down', comment: 'It made things up' }),
    );
    await screen.findByText('Thanks, your comment was saved.');

    fireEvent.click(down);
    expect(clear).toHaveBeenCalledWith('a1');
    expect(down.getAttribute('aria-pressed')).toBe('false');
  });

  it('puts the rating back when the server refuses it', async () => {
    vi.spyOn(api, 'setFeedback').mockRejectedValue(new Error('Could not reach the server.'));
    const messages = [message({ id: 'a1', role: 'assistant', content: 'Hello' })];
    render(<MessageList messages={messages} modelsById={new Map()} idle {...handlers()} />);
    const up = screen.getByRole('button', { name: 'Good reply' });
    fireEvent.click(up);
    await screen.findByText('Could not reach the server.');
    expect(up.getAttribute('aria-pressed')).toBe('false');
  });
});
