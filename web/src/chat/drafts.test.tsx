import { act, cleanup, render } from '@testing-library/preact';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lastChatPath, readDraft, rememberChat, useDraft, type DraftUpdate } from './drafts';

let draft: [string, (update: DraftUpdate) => void];
function Probe({ id }: { id: string | null }) {
  draft = useDraft(id);
  return null;
}

beforeEach(() => sessionStorage.clear());
afterEach(cleanup);

describe('drafts', () => {
  it('keeps a draft per conversation in sessionStorage, across switching and remounting', () => {
    const view = render(<Probe id="c1" />);
    void act(() => draft[1]('half a thought'));
    view.rerender(<Probe id="c2" />);
    expect(draft[0]).toBe('');
    void act(() => draft[1]((current) => `${current}other`));
    view.rerender(<Probe id="c1" />);
    expect(draft[0]).toBe('half a thought');
    cleanup();
    render(<Probe id="c1" />);
    expect(draft[0]).toBe('half a thought');
    expect(readDraft('c2')).toBe('other');
    void act(() => draft[1](''));
    expect(sessionStorage.getItem('gm.draft.c1')).toBeNull();
  });

  it('remembers the chat to go back to', () => {
    expect(lastChatPath()).toBe('/');
    rememberChat('abc');
    expect(lastChatPath()).toBe('/c/abc');
    rememberChat(null);
    expect(lastChatPath()).toBe('/');
  });
});
