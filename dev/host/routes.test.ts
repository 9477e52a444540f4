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

  it('matches complex segments', () => {
    expect(match('files/{name}.{ext}', 'files/report.final.pdf')).toEqual({
      name: 'report',
      ext: 'final.pdf',
    });
    expect(match('files/{name}.{ext}', 'files/report')).toBeNull();
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

  it('reports a method mismatch and falls through to routes that accept the method', () => {
    const router = new Router<string>();
    router.add('things/{id}', 'get', ['GET']);
    expect(router.match('DELETE', segs('things/1'))).toEqual({ methodMismatch: true });
    router.add('things/{id}', 'delete', ['delete']);
    expect(router.match('DELETE', segs('things/1')).match?.route.target).toBe('delete');
  });
});
