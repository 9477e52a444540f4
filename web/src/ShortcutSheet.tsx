import { Modal } from './components/Modal';

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

/** The `?` sheet: its own chunk, loaded the first time it opens. */
export default function ShortcutSheet({ onClose }: { onClose: () => void }) {
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
