import { render } from 'preact';
import { App } from './app';
import { applyTheme, storedTheme } from './theme';
import './styles/base.css';
import './styles/layout.css';
import './styles/chat.css';
import './styles/markdown.css';
import './styles/features.css';

// Before the first render, so a pinned theme never flashes the other one.
applyTheme(storedTheme());

render(<App />, document.getElementById('app')!);

// The installable app: the service worker keeps the shell for offline starts (never API answers).
// MODE, not DEV: a build made under NODE_ENV=test (the e2e tests) is still a production build.
if ('serviceWorker' in navigator && import.meta.env.MODE !== 'development') {
  navigator.serviceWorker.register('/sw.js').catch(() => undefined);
}
