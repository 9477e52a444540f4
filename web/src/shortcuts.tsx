import { useEffect, useState } from 'preact/hooks';
import { Modal } from './components/Modal';
import { navigate } from './router';

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);
const mod = isMac ? '⌘' : 'Ctrl';

/** Every shortcut the app has, as the `?` sheet lists them. */
export const SHORTCUTS: { keys: string[]; what: string }[] = [
  { keys: [mod, 'Shift', 'O'], what: 'New chat' },
  { keys: ['Shift', 'Esc'], what: 'Focus the message box' },
  { keys: [mod, 'K'], what: 'Search chats' },
  { keys: ['Esc'], what: 'Stop the reply being written' },
  { keys: [mod, 'Shift', 'C'], what: 'Copy the last reply' },
  { keys: ['?'], what: 'Show these shortcuts' },
];

const typing = (el: Element | null) =>
  el instanceof HTMLInputElement ||
  el instanceof HTMLTextAreaElement ||
  el instanceof HTMLSelectElement ||
  (el instanceof HTMLElement && el.isContentEditable);

const focusComposer = () => document.getElementById('composer-input')?.focus();

/**
 * The app-wide shortcuts (stop and copy live with the chat, which knows the reply). Returns
 * whether the sheet is open and a way to open or close it.
 */
export function useShortcuts(): [boolean, (open: boolean) => void] {
  const [sheet, setSheet] = useState(false);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.isComposing) return;
      const modKey = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      if (modKey && e.shiftKey && key === 'o') {
        e.preventDefault();
        navigate('/');
        requestAnimationFrame(focusComposer);
      } else if (e.shiftKey && e.key === 'Escape' && !document.querySelector('dialog[open]')) {
        e.preventDefault();
        focusComposer();
      } else if (modKey && !e.shiftKey && key === 'k') {
        e.preventDefault();
        document.querySelector<HTMLInputElement>('.sidebar-search input')?.focus();
      } else if ((e.key === '?' && !modKey && !typing(document.activeElement)) || (modKey && e.key === '/')) {
        e.preventDefault();
        setSheet(true);
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
  return [sheet, setSheet];
}

export function ShortcutSheet({ onClose }: { onClose: () => void }) {
  return (
    <Modal title="Keyboard shortcuts" onClose={onClose}>
      <table class="shortcut-table">
        <thead>
          <tr>
            <th scope="col">Keys</th>
            <th scope="col">Does</th>
          </tr>
        </thead>
        <tbody>
          {SHORTCUTS.map((s) => (
            <tr key={s.what}>
              <td>
                {s.keys.map((k, i) => (
                  <>
                    {i > 0 && ' + '}
                    <kbd>{k}</kbd>
                  </>
                ))}
              </td>
              <td>{s.what}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="dialog-actions">
        <button type="button" class="button button-secondary" autofocus onClick={onClose}>
          Close
        </button>
      </div>
    </Modal>
  );
}
