import { useEffect, useState } from 'preact/hooks';
import { navigate } from './router';

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
