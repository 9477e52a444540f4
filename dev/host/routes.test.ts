import { describe, expect, it } from 'vitest';
import { compileRoute, matchRoute, Router } from './routes';

const segs = (p: string): string[] => p.split('/').filter(Boolean);
const match = (template: string, path: string): Record<string, string> | null =>
  matchRoute(compileRoute(template, null), segs(path));

describe('route templates', () => {
  it('matches literals case-insensitively and binds parameters', () => {
    expect(match('conversations/{id}/messages', 'Conversations/abc/MESSAGES')).toEqual({ id: 'abc' });
    expect(match('conversations/{id}', 'conversations')).toBeNull();
    expect(match('conversations/{id}', 'conversations/1/extra')).toBeNull();
  });

  it('handles optional, default and catch-all parameters', () => {
    expect(match('items/{id?}', 'items')).toEqual({});
    expect(match('items/{page=1}', 'items')).toEqual({ page: '1' });
    expect(match('files/{*path}', 'files')).toEqual({});
    expect(match('files/{**path}', 'files/a/b')).toEqual({ path: 'a/b' });
    expect(() => compileRoute('{*rest}/x', null)).toThrow(/last segment/);
  });

  it('enforces constraints', () => {
    expect(match('items/{n:int}', 'items/-12')).toEqual({ n: '-12' });
    expect(match('items/{n:int}', 'items/1.5')).toBeNull();
    expect(match('u/{id:guid}', 'u/3f2504e0-4f89-11d3-9a0c-0305e82c3301')).not.toBeNull();
    expect(match('u/{id:guid}', 'u/nope')).toBeNull();
    expect(match('w/{w:alpha:minlength(2)}', 'w/ab')).toEqual({ w: 'ab' });
    expect(match('w/{w:alpha:minlength(2)}', 'w/a')).toBeNull();
    expect(match('n/{n:range(1,10)}', 'n/11')).toBeNull();
    expect(match('r/{code:regex(^[a-z]{{2}}$)}', 'r/ab')).toEqual({ code: 'ab' });
    expect(compileRoute('x/{id:fancy}', null).unknownConstraints).toEqual(['fancy']);
  });

  it('matches complex segments right to left, literals by last occurrence (ASP.NET Core)', () => {
    expect(match('files/{name}.{ext}', 'files/report.final.pdf')).toEqual({
      name: 'report.final',
      ext: 'pdf',
    });
    expect(match('files/{name}.{ext}', 'files/report')).toBeNull();
    expect(match('files/{name}.{ext}', 'files/.pdf')).toBeNull();
    expect(match('files/{name}.{ext}', 'files/report.')).toBeNull();

    expect(match('v{version}/items', 'v2/items')).toEqual({ version: '2' });
    expect(match('v{version}/items', 'V10/items')).toEqual({ version: '10' });
    expect(match('v{version}/items', 'v/items')).toBeNull();
    expect(match('v{version}/items', 'xv2/items')).toBeNull();

    expect(match('{a}-{b}', 'x-y-z')).toEqual({ a: 'x-y', b: 'z' });
    expect(match('{a}-{b}', '-y')).toBeNull();
    expect(match('{a}-{b}', 'x-')).toBeNull();
    expect(match('{a}x', '1x')).toEqual({ a: '1' });
    expect(match('{a}x', '1xy')).toBeNull();

    // Non-greedy and without backtracking, as ASP.NET documents for `/a{b}c{d}`.
    expect(match('a{b}c{d}', 'abcd')).toEqual({ b: 'b', d: 'd' });
    expect(match('a{b}c{d}', 'aabcd')).toBeNull();
    expect(match('{from}-to-{to}', 'Paris-TO-Rome')).toEqual({ from: 'Paris', to: 'Rome' });
  });

  it('lets a final `.{param?}` be absent, but not half there', () => {
    expect(match('files/{name}.{ext?}', 'files/readme')).toEqual({ name: 'readme' });
    expect(match('files/{name}.{ext?}', 'files/a.b.c')).toEqual({ name: 'a.b', ext: 'c' });
    expect(match('files/{name}.{ext?}', 'files/readme.')).toBeNull();
  });

  it('checks constraints on the values a complex segment produced', () => {
    expect(match('items/{id:int}.json', 'items/12.json')).toEqual({ id: '12' });
    expect(match('items/{id:int}.json', 'items/ab.json')).toBeNull();
    // No retry with another split: `x-1` is not an int, so no match.
    expect(match('{a:int}-{b}', 'x-1-2')).toBeNull();
    expect(match('{a:int}-{b:alpha}', '1-b')).toEqual({ a: '1', b: 'b' });
  });

  it('rejects complex segments ASP.NET rejects', () => {
    expect(() => compileRoute('{a}{b}', null)).toThrow(/consecutive/);
    expect(() => compileRoute('{a?}.x', null)).toThrow(/must be last/);
    expect(() => compileRoute('{a}-{b?}', null)).toThrow(/period/);
    expect(() => compileRoute('x{*rest}', null)).toThrow(/catch-all/);
    expect(() => compileRoute('items/{page=1?}', null)).toThrow(/default/);
  });

  it('prefers literals over parameters and parameters over catch-alls', () => {
    const router = new Router<string>();
    router.add('{*all}', 'catch-all');
    router.add('conversations/{id}', 'param');
    router.add('conversations/new', 'literal');
    router.add('conversations/{id:int}', 'constrained');
    expect(router.match('GET', segs('conversations/new')).match?.route.target).toBe('literal');
    expect(router.match('GET', segs('conversations/5')).match?.route.target).toBe('constrained');
    expect(router.match('GET', segs('conversations/x')).match?.route.target).toBe('param');
    expect(router.match('GET', segs('anything/else')).match?.route.target).toBe('catch-all');
  });

  it('orders like ASP.NET inbound precedence: complex segments with constrained ones, prefixes first', () => {
    const router = new Router<string>();
    router.add('files/{id}', 'param');
    router.add('files/{name}.{ext}', 'complex');
    expect(router.match('GET', segs('files/a.txt')).match?.route.target).toBe('complex');
    expect(router.match('GET', segs('files/abc')).match?.route.target).toBe('param');

    router.add('items/{id?}', 'optional');
    router.add('items', 'exact');
    expect(router.match('GET', segs('items')).match?.route.target).toBe('exact');
    expect(router.match('GET', segs('items/3')).match?.route.target).toBe('optional');
  });

  it('reports a method mismatch and falls through to routes that accept the method', () => {
    const router = new Router<string>();
    router.add('things/{id}', 'get', ['GET']);
    expect(router.match('DELETE', segs('things/1'))).toEqual({ methodMismatch: true });
    router.add('things/{id}', 'delete', ['delete']);
    expect(router.match('DELETE', segs('things/1')).match?.route.target).toBe('delete');
  });
});
