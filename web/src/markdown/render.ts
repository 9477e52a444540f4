/**
 * Model output → safe HTML. Everything a model writes is untrusted (a prompt injection can make it
 * write anything), so: raw HTML in the markdown is shown as text, remote images become links (an
 * image URL is a way to send data out without a click), the result goes through DOMPurify, and
 * every surviving link is forced to open in a new tab without an opener or referrer, and only to
 * http(s) or mailto.
 */
import DOMPurify from 'dompurify';
import { Marked, type Tokens } from 'marked';
import type { Highlighted } from './highlight';

type Highlight = (code: string, lang: string, guess: boolean) => Highlighted | undefined;

let highlighter: Highlight | undefined;
let loading: Promise<void> | undefined;
const readyListeners = new Set<() => void>();

/** Loads highlight.js (a separate chunk) once; code blocks rendered before then are plain. */
export function loadHighlighter(): Promise<void> {
  loading ??= import('./highlight').then(
    (m) => {
      highlighter = m.highlight;
      highlighted.clear();
      for (const listener of readyListeners) listener();
    },
    (err: unknown) => {
      // A failed chunk load (offline, a deploy replaced the files) leaves code plain; try again later.
      loading = undefined;
      throw err;
    },
  );
  return loading;
}

export const isHighlighterReady = () => highlighter !== undefined;

type RenderTex = (tex: string, display: boolean) => string;
let texRenderer: RenderTex | undefined;
let loadingMath: Promise<void> | undefined;

/** Loads KaTeX (a separate chunk) once; math rendered before then shows as its TeX source. */
export function loadMath(): Promise<void> {
  loadingMath ??= import('./math').then(
    (m) => {
      texRenderer = m.renderTex;
      mathCache.clear();
      for (const listener of readyListeners) listener();
    },
    (err: unknown) => {
      loadingMath = undefined;
      throw err;
    },
  );
  return loadingMath;
}

export const isMathReady = () => texRenderer !== undefined;

export function onHighlighterReady(listener: () => void): () => void {
  readyListeners.add(listener);
  return () => readyListeners.delete(listener);
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);

/** While a reply streams, the same finished code blocks are rendered on every frame. */
const highlighted = new Map<string, Highlighted | null>();
const HIGHLIGHT_CACHE_SIZE = 200;

function highlightCached(code: string, lang: string, guess: boolean): Highlighted | undefined {
  if (!highlighter) return undefined;
  const key = `${lang}\u0000${guess ? 1 : 0}\u0000${code}`;
  let hit = highlighted.get(key);
  if (hit === undefined) {
    hit = highlighter(code, lang, guess) ?? null;
    if (highlighted.size >= HIGHLIGHT_CACHE_SIZE) highlighted.delete(highlighted.keys().next().value ?? '');
    highlighted.set(key, hit);
  }
  return hit ?? undefined;
}

let guessLanguages = true;
let sawCode = false;
let sawMath = false;

const mathCache = new Map<string, string>();
const MATH_CACHE_SIZE = 300;

function mathHtml(tex: string, display: boolean): string {
  sawMath = true;
  const source = tex.trim();
  if (!texRenderer) {
    const code = `<code class="math-source">${escapeHtml(source)}</code>`;
    return display
      ? `<div class="math math-display is-pending">${code}</div>`
      : `<span class="math is-pending">${code}</span>`;
  }
  const key = `${display ? 1 : 0}\u0000${source}`;
  let html = mathCache.get(key);
  if (html === undefined) {
    html = texRenderer(source, display);
    if (mathCache.size >= MATH_CACHE_SIZE) mathCache.delete(mathCache.keys().next().value ?? '');
    mathCache.set(key, html);
  }
  return display ? `<div class="math math-display">${html}</div>` : `<span class="math">${html}</span>`;
}

/**
 * Reply headings sit under the message's own heading (h2), so they start at h3 and use
 * consecutive levels: `#` then `###` in a reply becomes h3 then h4, never a skipped level.
 */
let headingDepths = new Set<number>();

/** The citation numbers of the reply being rendered, and the id prefix of its citation cards. */
let citationNumbers = new Set<number>();
let citationPrefix = '';

type CitationToken = { type: 'citation'; raw: string; n: number };

/** `[n]` not followed by `(` (that is a link); only numbers the reply has a citation for. */
const CITATION = /^\[(\d{1,3})\](?!\()/;

type MathToken = { type: 'mathBlock' | 'mathInline'; raw: string; text: string; display: boolean };

/** `$$…$$` and `\[…\]` on their own lines. */
const BLOCK_MATH = /^ {0,3}(?:\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\])[ \t]*(?:\n+|$)/;
/**
 * `$$…$$`, `\(…\)` and `$…$` inline. A single `$` pair must hug its TeX (no space inside either
 * end) and not be followed by a digit, so prices such as "$5 and $10" stay text.
 */
const INLINE_MATH =
  /^(?:\$\$([^$]+?)\$\$|\\\(([\s\S]+?)\\\)|\$(?![\s$])((?:\\\$|[^$\n])+?)(?<![\s\\])\$(?!\d))/;

const marked = new Marked({
  gfm: true,
  async: false,
  extensions: [
    {
      name: 'mathBlock',
      level: 'block',
      start: (src: string) => src.match(/^ {0,3}(?:\$\$|\\\[)/m)?.index,
      tokenizer(src: string) {
        const m = BLOCK_MATH.exec(src);
        if (!m) return undefined;
        return { type: 'mathBlock', raw: m[0], text: m[1] ?? m[2] ?? '', display: true } satisfies MathToken;
      },
      renderer: (token) => mathHtml((token as unknown as MathToken).text, true),
    },
    {
      name: 'citation',
      level: 'inline',
      start: (src: string) => (citationNumbers.size ? src.match(/\[\d/)?.index : undefined),
      tokenizer(src: string) {
        const m = CITATION.exec(src);
        const n = Number(m?.[1]);
        if (!m || !citationNumbers.has(n)) return undefined;
        return { type: 'citation', raw: m[0], n } satisfies CitationToken;
      },
      renderer: (token) => {
        const { n } = token as unknown as CitationToken;
        return `<a class="citation-ref" href="#${citationPrefix}-${n}" title="Source ${n}">[${n}]</a>`;
      },
    },
    {
      name: 'mathInline',
      level: 'inline',
      start: (src: string) => src.match(/\$|\\\(/)?.index,
      tokenizer(src: string) {
        const m = INLINE_MATH.exec(src);
        if (!m) return undefined;
        const display = m[1] !== undefined;
        return {
          type: 'mathInline',
          raw: m[0],
          text: m[1] ?? m[2] ?? m[3] ?? '',
          display,
        } satisfies MathToken;
      },
      renderer: (token) =>
        mathHtml((token as unknown as MathToken).text, (token as unknown as MathToken).display),
    },
  ],
  // Runs over every token before any is rendered: the depths in use are known by the first heading.
  walkTokens(token) {
    if (token.type === 'heading') headingDepths.add((token as Tokens.Heading).depth);
  },
  renderer: {
    heading({ tokens, depth }: Tokens.Heading) {
      const rank = [...headingDepths].sort((a, b) => a - b).indexOf(depth);
      const level = Math.min(6, 3 + Math.max(0, rank));
      return `<h${level} class="md-h${depth}">${this.parser.parseInline(tokens)}</h${level}>\n`;
    },
    checkbox({ checked }: Tokens.Checkbox) {
      // A task list item's box is read-only; its label says which state it shows.
      return `<input type="checkbox" disabled${checked ? ' checked' : ''} aria-label="${checked ? 'Done' : 'Not done'}"> `;
    },
    html({ text, block }: Tokens.HTML | Tokens.Tag) {
      return block ? `<p class="raw-html">${escapeHtml(text)}</p>` : escapeHtml(text);
    },
    code({ text, lang }: Tokens.Code) {
      sawCode = true;
      const language = (lang ?? '').trim().split(/\s+/)[0]?.toLowerCase() ?? '';
      const result = highlightCached(text, language, guessLanguages);
      const label = result?.language ?? (language || 'text');
      return (
        `<div class="code-block"><div class="code-head"><span class="code-lang">${escapeHtml(label)}</span>` +
        '<button type="button" class="code-copy" aria-label="Copy code">Copy</button></div>' +
        // Focusable, so a long line can be scrolled with the keyboard.
        `<pre tabindex="0"><code class="hljs">${result ? result.html : escapeHtml(text)}</code></pre></div>`
      );
    },
    image({ href, text }: Tokens.Image) {
      return `<a href="${escapeHtml(href)}">${escapeHtml(text || href)}</a>`;
    },
  },
});

const SAFE_LINK = /^(https?:|mailto:)/i;

const purify = DOMPurify();
purify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName !== 'A') return;
  const href = node.getAttribute('href');
  // A citation marker (only the renderer makes this class: raw HTML is escaped) stays on the page.
  if (node.getAttribute('class') === 'citation-ref' && href !== null && /^#[\w-]+$/.test(href)) return;
  if (href !== null && !SAFE_LINK.test(href.trim())) node.removeAttribute('href');
  node.setAttribute('target', '_blank');
  node.setAttribute('rel', 'noopener noreferrer');
});

const PURIFY_CONFIG = {
  FORBID_TAGS: [
    'style',
    'form',
    'img',
    'picture',
    'video',
    'audio',
    'source',
    'iframe',
    'object',
    'embed',
    'svg',
  ],
  FORBID_ATTR: ['style', 'srcset', 'action', 'formaction'],
  ADD_ATTR: ['target'],
  ALLOW_DATA_ATTR: false,
};

export interface RenderOptions {
  /** While streaming, skip guessing the language of unlabelled code on every frame. */
  streaming?: boolean;
  /** `[n]` for these numbers becomes a link to `#{idPrefix}-{n}` (the reply's citation cards). */
  citations?: { numbers: readonly number[]; idPrefix: string };
}

/**
 * Quotes nested deeper than this are not formatted: marked parses nesting recursively (a couple
 * of thousand levels overflow the stack) and the browser flattens the DOM beyond 512 levels anyway.
 */
export const MAX_QUOTE_DEPTH = 64;
const TOO_DEEP = new RegExp(`^ {0,3}(?:> ?){${MAX_QUOTE_DEPTH + 1}}`, 'm');

export class TooDeeplyNestedError extends RangeError {
  constructor() {
    super(`Quotes nested more than ${MAX_QUOTE_DEPTH} levels deep are shown as plain text.`);
    this.name = 'TooDeeplyNestedError';
  }
}

/** Throws for text it will not format (see MAX_QUOTE_DEPTH): the caller shows it plain. */
export function renderMarkdown(markdown: string, options: RenderOptions = {}): string {
  if (TOO_DEEP.test(markdown)) throw new TooDeeplyNestedError();
  guessLanguages = !options.streaming;
  sawCode = false;
  sawMath = false;
  headingDepths = new Set();
  citationNumbers = new Set(options.citations?.numbers);
  citationPrefix = (options.citations?.idPrefix ?? 'cite').replace(/[^\w-]/g, '_');
  const raw = marked.parse(markdown) as string;
  if (sawCode && !highlighter) void loadHighlighter().catch(() => undefined);
  if (sawMath && !texRenderer) void loadMath().catch(() => undefined);
  return purify.sanitize(raw, PURIFY_CONFIG);
}
