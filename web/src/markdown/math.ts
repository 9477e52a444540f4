/**
 * TeX to MathML with KaTeX, loaded on demand (most replies have no math). MathML, not KaTeX's
 * HTML output: that one needs inline styles, which the app's CSP (style-src 'self') refuses, and
 * its fonts; the browser lays out MathML itself. The TeX source annotation is dropped (the
 * sanitiser would show it as text).
 */
import katex from 'katex';

export function renderTex(tex: string, display: boolean): string {
  const html = katex.renderToString(tex, {
    output: 'mathml',
    displayMode: display,
    throwOnError: false,
    trust: false,
    strict: 'ignore',
    maxSize: 50,
    maxExpand: 500,
  });
  return html.replace(/<annotation\b[\s\S]*?<\/annotation>/g, '').replace(/<\/?semantics>/g, '');
}
