import { cleanup, fireEvent, render, screen } from '@testing-library/preact';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../chat/use-chat';
import { AssistantMessage } from '../components/AssistantMessage';
import { renderMarkdown } from '../markdown/render';

afterEach(cleanup);

const reply = (content: string): ChatMessage =>
  ({
    id: 'm1',
    parentId: 'u1',
    role: 'assistant',
    content,
    reasoning: null,
    status: 'complete',
    model: 'x/m',
    error: null,
    citations: [
      { n: 1, documentId: 'd1', documentName: 'handbook.pdf', page: 3, snippet: 'The lighthouse is blue.' },
    ],
    usage: null,
    feedback: null,
    maxTokens: null,
    finishReason: null,
    createdAt: '2026-01-01T00:00:00Z',
    siblingIds: ['m1'],
  }) as unknown as ChatMessage;

describe('citation markers', () => {
  it('link [n] to the card of that citation and leave other numbers as text', () => {
    render(
      <AssistantMessage
        message={reply('The lighthouse is blue [1]. See also [9] and [link](https://example.com).')}
        model={undefined}
        idle
        onRetry={() => {}}
        onRegenerate={() => {}}
        onSwitchVersion={() => {}}
      />,
    );
    const marker = screen.getByRole('link', { name: '[1]' });
    expect(marker.getAttribute('href')).toBe('#cite-m1-1');
    expect(marker.getAttribute('target')).toBeNull();
    const card = document.getElementById('cite-m1-1')!;
    expect(card.textContent).toContain('handbook.pdf');
    expect(card.textContent).toContain('page 3');
    expect(card.textContent).toContain('The lighthouse is blue.');
    expect(screen.getByRole('link', { name: 'Download handbook.pdf' }).getAttribute('href')).toBe(
      '/api/documents/d1/file',
    );

    // [9] has no citation: plain text, not a link.
    expect(screen.queryByRole('link', { name: '[9]' })).toBeNull();
    expect(document.querySelector('.markdown')!.textContent).toContain('[9]');

    fireEvent.click(marker);
    expect(card.classList.contains('is-active')).toBe(true);
    expect(document.activeElement).toBe(card);
  });

  it('are not made from markdown links or raw HTML', () => {
    const el = document.createElement('div');
    el.innerHTML = renderMarkdown('[1](javascript:alert(1)) <a class="citation-ref" href="#x">[1]</a> [1]', {
      citations: { numbers: [1], idPrefix: 'cite-m' },
    });
    // The raw tag is escaped text; the markdown link is an ordinary (here unsafe, so dropped) link.
    const refs = [...el.querySelectorAll('a.citation-ref')];
    expect(refs.length).toBe(2);
    expect(refs.every((a) => a.getAttribute('href') === '#cite-m-1')).toBe(true);
    expect(el.textContent).toContain('<a class="citation-ref" href="#x">');
    // Without citations the same text stays text.
    el.innerHTML = renderMarkdown('see [1]');
    expect(el.querySelector('a')).toBeNull();
  });
});
