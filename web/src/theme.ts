import { useEffect, useState } from 'preact/hooks';
import { readPreference, writePreference } from './storage';

export type Theme = 'light' | 'dark';
const KEY = 'gm.theme';

const systemDark = () => window.matchMedia('(prefers-color-scheme: dark)').matches;

/** The stored choice, or null to follow the system (the CSS does that with a media query). */
export function storedTheme(): Theme | null {
  const value = readPreference(KEY);
  return value === 'light' || value === 'dark' ? value : null;
}

export function applyTheme(theme: Theme | null): void {
  const root = document.documentElement;
  if (theme) root.dataset.theme = theme;
  else delete root.dataset.theme;
}

/** The theme in effect and a toggle that pins the other one; the choice survives reloads. */
export function useTheme(): { theme: Theme; toggle: () => void } {
  const [choice, setChoice] = useState<Theme | null>(storedTheme);
  const [dark, setDark] = useState(systemDark);
  useEffect(() => {
    const query = window.matchMedia('(prefers-color-scheme: dark)');
    const update = () => setDark(query.matches);
    query.addEventListener('change', update);
    return () => query.removeEventListener('change', update);
  }, []);
  const theme: Theme = choice ?? (dark ? 'dark' : 'light');
  return {
    theme,
    toggle() {
      const next: Theme = theme === 'dark' ? 'light' : 'dark';
      writePreference(KEY, next);
      applyTheme(next);
      setChoice(next);
    },
  };
}
