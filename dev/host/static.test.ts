/**
 * The CSP in WEB_SECURITY_HEADERS allows no inline script or style: the built app must need none.
 * Checks the real build when there is one (`npm run build:web`, part of `npm start`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { WEB_CONTENT_SECURITY_POLICY, WEB_SECURITY_HEADERS } from './static';

const builtIndex = path.resolve(__dirname, '../../web/dist/index.html');

describe('web app security headers', () => {
  it('are one constant with the CSP the design asks for', () => {
    expect(WEB_SECURITY_HEADERS).toEqual({
      'content-security-policy': WEB_CONTENT_SECURITY_POLICY,
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'strict-origin-when-cross-origin',
    });
    const directives = Object.fromEntries(
      WEB_CONTENT_SECURITY_POLICY.split(';').map((d) => {
        const [name = '', ...values] = d.trim().split(/\s+/);
        return [name, values.join(' ')];
      }),
    );
    expect(directives).toEqual({
      'default-src': "'self'",
      'script-src': "'self'",
      'style-src': "'self'",
      'img-src': "'self' data: blob:",
      'connect-src': "'self'",
      'frame-ancestors': "'none'",
      'base-uri': "'none'",
      'form-action': "'self'",
      'object-src': "'none'",
    });
  });

  it.skipIf(!fs.existsSync(builtIndex))('fit the built index.html: no inline script or style', () => {
    const html = fs.readFileSync(builtIndex, 'utf8');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs = '', body = ''] of scripts) {
      expect(attrs).toMatch(/\ssrc="\/assets\//);
      expect(body.trim()).toBe('');
    }
    expect(html).not.toMatch(/<style\b/i);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/\son[a-z]+=/i);
  });
});
