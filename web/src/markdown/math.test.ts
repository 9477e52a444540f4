import { beforeAll, describe, expect, it } from 'vitest';
import { isMathReady, loadMath, renderMarkdown } from './render';

function dom(markdown: string): HTMLElement {
  const el = document.createElement('div');
  el.innerHTML = renderMarkdown(markdown);
  return el;
}

describe('math', () => {
  it('shows the TeX source until KaTeX has loaded, and leaves prices alone', () => {
    expect(isMathReady()).toBe(false);
    const el = dom('Euler: $e^{i\\pi} + 1 = 0$ and\n\n$$\\int_0^1 x\\,dx$$');
    expect(el.querySelector('.math.is-pending code')?.textContent).toBe('e^{i\\pi} + 1 = 0');
    expect(el.querySelector('.math-display.is-pending code')?.textContent).toBe('\\int_0^1 x\\,dx');
    const prices = dom('It costs $5 and $10, or $20 for both.');
    expect(prices.querySelector('.math')).toBeNull();
    expect(prices.textContent?.trim()).toBe('It costs $5 and $10, or $20 for both.');
  });

  describe('once KaTeX is loaded', () => {
    beforeAll(() => loadMath());

    it('renders inline and display math as MathML, without inline styles or the TeX annotation', () => {
      const el = dom('Inline \\(a^2 + b^2 = c^2\\) and $x_1$, display:\n\n\\[\\frac{1}{2}\\]');
      const maths = el.querySelectorAll('math');
      expect(maths).toHaveLength(3);
      expect(el.querySelector('msup')).not.toBeNull();
      expect(el.querySelector('mfrac')).not.toBeNull();
      expect(el.querySelector('.math-display math')?.getAttribute('display')).toBe('block');
      expect(el.querySelector('annotation')).toBeNull();
      expect([...el.querySelectorAll('*')].some((n) => n.hasAttribute('style'))).toBe(false);
    });

    it('keeps hostile TeX inert', () => {
      const el = dom(
        '$\\href{javascript:alert(1)}{x}$ $\\htmlData{foo=bar}{x}$ $\\url{javascript:alert(2)}$',
      );
      expect(el.querySelector('a[href^="javascript"], [href^="javascript"]')).toBeNull();
      expect(el.innerHTML).not.toContain('javascript:alert');
      expect(
        [...el.querySelectorAll('*')].some((n) => [...n.attributes].some((a) => a.name.startsWith('on'))),
      ).toBe(false);
    });

    it('shows bad TeX as an error, not an exception', () => {
      expect(() => dom('$\\frac{1}{$ and $\\undefinedmacro$')).not.toThrow();
    });
  });
});

describe('accessible markdown', () => {
  it('labels task list boxes and makes code blocks focusable for keyboard scrolling', () => {
    const el = dom('- [x] written\n- [ ] tested\n\n```\nvery long line\n```');
    const boxes = [...el.querySelectorAll('input[type="checkbox"]')];
    expect(boxes.map((b) => b.getAttribute('aria-label'))).toEqual(['Done', 'Not done']);
    expect(boxes.every((b) => b.hasAttribute('disabled'))).toBe(true);
    expect(el.querySelector('.code-block pre')?.getAttribute('tabindex')).toBe('0');
  });

  it('reply headings start at h3 and never skip a level', () => {
    const el = dom('# Title\n\n### Detail\n\n##### Fine print\n\n# Another');
    expect([...el.querySelectorAll('h1, h2, h3, h4, h5, h6')].map((h) => h.tagName)).toEqual([
      'H3',
      'H4',
      'H5',
      'H3',
    ]);
    expect(dom('## Only\n\ntext').querySelector('h3')?.textContent).toBe('Only');
  });
});
