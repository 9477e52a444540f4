import { describe, expect, it } from 'vitest';
import { systemClock } from '../clock';
import { loadConfig } from '../config';
import type { Db } from '../db/db';
import { oauthService, safeReturnTo, withAuthError } from './oauth';

const base = 'https://app.example';

describe('safeReturnTo', () => {
  it.each([
    ['/c/abc?x=1#m', '/c/abc?x=1#m'],
    ['/usage', '/usage'],
    ['/a/../b', '/b'],
  ])('keeps the same-origin path %s', (raw, kept) => expect(safeReturnTo(raw, base)).toBe(kept));

  it.each([
    undefined,
    '',
    'https://evil.example/',
    'https://app.example.evil.example/',
    '//evil.example',
    '/\\evil.example',
    '/\t/evil.example',
    'javascript:alert(1)',
    'relative/path',
    `/${'a'.repeat(3000)}`,
  ])('answers / for %s', (raw) => expect(safeReturnTo(raw, base)).toBe('/'));
});

describe('withAuthError', () => {
  it('adds the code to the query, before the fragment', () => {
    expect(withAuthError('/', 'denied')).toBe('/?authError=denied');
    expect(withAuthError('/usage?tab=2#linked', 'already_linked')).toBe(
      '/usage?tab=2&authError=already_linked#linked',
    );
  });
});

describe('providers off when unconfigured', () => {
  const noDb = new Proxy({} as Db, {
    get: () => {
      throw new Error('no database access expected');
    },
  });
  const oauth = oauthService({ config: loadConfig({}), db: noDb, clock: systemClock });

  it('lists none, and starting or finishing one is a 404', async () => {
    expect(oauth.providers()).toEqual({ password: true, providers: [] });
    await expect(oauth.start({ provider: 'google', clientKey: 'x' })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(oauth.callback({ provider: 'microsoft', query: {} })).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('lists a provider once its client id is set', () => {
    const on = oauthService({ config: loadConfig({ GOOGLE_CLIENT_ID: 'id' }), db: noDb, clock: systemClock });
    expect(on.providers().providers).toEqual([{ id: 'google', name: 'Google' }]);
  });
});
