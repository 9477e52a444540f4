import { cleanup, fireEvent, render, screen } from '@testing-library/preact';
import { afterEach, describe, expect, it } from 'vitest';
import ShortcutSheet from './ShortcutSheet';
import { useShortcuts } from './shortcuts';

afterEach(cleanup);

function Harness() {
  const [open, setOpen] = useShortcuts();
  return (
    <>
      <div class="sidebar-search">
        <input type="search" aria-label="Search conversations" />
      </div>
      <textarea id="composer-input" aria-label="Message" />
      {open && <ShortcutSheet onClose={() => setOpen(false)} />}
    </>
  );
}

describe('keyboard shortcuts', () => {
  it('? opens the sheet that lists every shortcut, and Close closes it', () => {
    render(<Harness />);
    expect(screen.queryByRole('dialog')).toBeNull();
    fireEvent.keyDown(document.body, { key: '?' });
    const sheet = screen.getByRole('dialog', { name: 'Keyboard shortcuts' });
    for (const what of [
      'New chat',
      'Focus the message box',
      'Search chats',
      'Stop the reply being written',
      'Copy the last reply',
    ]) {
      expect(sheet.textContent).toContain(what);
    }
    fireEvent.click(screen.getByRole('button', { name: 'Close' }));
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('? typed into a text field is text, not a shortcut', () => {
    render(<Harness />);
    const box = screen.getByLabelText('Message');
    box.focus();
    fireEvent.keyDown(box, { key: '?' });
    expect(screen.queryByRole('dialog')).toBeNull();
    // Ctrl+/ opens it from anywhere.
    fireEvent.keyDown(box, { key: '/', ctrlKey: true });
    expect(screen.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeTruthy();
  });

  it('Ctrl+K goes to search and Shift+Esc to the message box', () => {
    render(<Harness />);
    fireEvent.keyDown(document.body, { key: 'k', ctrlKey: true });
    expect(document.activeElement).toBe(screen.getByLabelText('Search conversations'));
    fireEvent.keyDown(document.body, { key: 'Escape', shiftKey: true });
    expect(document.activeElement).toBe(screen.getByLabelText('Message'));
  });
});
