import { useEffect, useMemo, useState } from 'preact/hooks';
import { isHighlighterReady, isMathReady, onHighlighterReady, renderMarkdown } from './render';

/** Copies the code of the block whose button was clicked (the buttons come from the renderer). */
function copyCode(event: MouseEvent): void {
  const button = (event.target as Element | null)?.closest<HTMLButtonElement>('.code-copy');
  const code = button?.closest('.code-block')?.querySelector('code')?.textContent;
  if (!button || code == null) return;
  const label = button.lastChild;
  // The Clipboard API exists only in secure contexts (https, localhost).
  const write = navigator.clipboard
    ? navigator.clipboard.writeText(code)
    : Promise.reject(new Error('no clipboard'));
  write.then(
    () => {
      button.dataset.state = 'copied';
      if (label) label.textContent = 'Copied';
      setTimeout(() => {
        delete button.dataset.state;
        if (label) label.textContent = 'Copy';
      }, 1500);
    },
    () => {
      if (label) label.textContent = 'Copy failed';
    },
  );
}

export function Markdown({ text, streaming = false }: { text: string; streaming?: boolean }) {
  // Bumped when highlight.js or KaTeX arrive: code and math rendered plain are rendered again.
  const ready = () => Number(isHighlighterReady()) + Number(isMathReady());
  const [loaded, setLoaded] = useState(ready);
  useEffect(() => (loaded === 2 ? undefined : onHighlighterReady(() => setLoaded(ready()))), [loaded]);
  const html = useMemo(() => renderMarkdown(text, { streaming }), [text, streaming, loaded]);
  return (
    <div
      class={streaming ? 'markdown is-streaming' : 'markdown'}
      onClick={copyCode}
      dangerouslySetInnerHTML={{ __html: html }}
    />
  );
}
