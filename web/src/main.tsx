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
