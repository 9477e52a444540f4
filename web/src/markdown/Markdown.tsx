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

interface MarkdownProps {
  text: string;
  streaming?: boolean;
  /** The reply's citation numbers and the id prefix of its cards: `[n]` markers become links. */
  citations?: { numbers: readonly number[]; idPrefix: string };
  /** A citation marker was clicked (its link's default is prevented). */
  onCitation?: (n: number) => void;
}

export function Markdown({ text, streaming = false, citations, onCitation }: MarkdownProps) {
  // Bumped when highlight.js or KaTeX arrive: code and math rendered plain are rendered again.
  const ready = () => Number(isHighlighterReady()) + Number(isMathReady());
  const [loaded, setLoaded] = useState(ready);
  useEffect(() => (loaded === 2 ? undefined : onHighlighterReady(() => setLoaded(ready()))), [loaded]);
  const numbers = citations?.numbers.join(',') ?? '';
  const html = useMemo(
    () => renderMarkdown(text, citations ? { streaming, citations } : { streaming }),
    [text, streaming, loaded, numbers, citations?.idPrefix],
  );
  return (
    <div
      class={streaming ? 'markdown is-streaming' : 'markdown'}
      onClick={(event) => {
        const ref = (event.target as Element | null)?.closest<HTMLAnchorElement>('a.citation-ref');
        if (ref && onCitation) {
          event.preventDefault();
          onCitation(Number(/(\d+)$/.exec(ref.getAttribute('href') ?? '')?.[1]));
          return;
        }
        copyCode(event);
      }}
      dangerouslySetInnerHTML={{ __html: html }}
    />
  );
}
