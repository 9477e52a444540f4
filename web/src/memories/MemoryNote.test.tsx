import { cleanup, fireEvent, render, screen } from '@testing-library/preact';
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../../shared/contracts/conversations';
import { AssistantMessage } from '../components/AssistantMessage';

const reply = (extra: Partial<Message> = {}): Message => ({
  id: 'a1',
  parentId: 'q1',
  siblingIds: ['a1'],
  role: 'assistant',
  content: 'Noted.',
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
  ...extra,
});

const show = (m: Message) =>
  render(
    <AssistantMessage
      message={m}
      model={undefined}
      idle
      onRetry={() => undefined}
      onRegenerate={() => undefined}
      onSwitchVersion={() => undefined}
    />,
  );

afterEach(() => {
  cleanup();
  history.replaceState(null, '', '/');
});

describe('the "Memory updated" note under a reply', () => {
  it('appears on a reply that changed memory and opens the memory list', () => {
    show(reply({ memoryUpdated: true }));
    const link = screen.getByRole('link', { name: /^Memory updated/ });
    expect(link.getAttribute('href')).toBe('/settings#memory');
    fireEvent.click(link);
    expect(location.pathname + location.hash).toBe('/settings#memory');
  });

  it('is absent otherwise', () => {
    show(reply({ memoryUpdated: false }));
    expect(screen.queryByRole('link', { name: /Memory updated/ })).toBeNull();
    cleanup();
    show(reply());
    expect(screen.queryByRole('link', { name: /Memory updated/ })).toBeNull();
  });
});
