/**
 * Two local hosts in one process from one (require-cached) entry: each serves the registrations
 * the first load captured, and each hands its own appHookData to the app's hooks.
 */
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type LocalHost, type StartHostOptions } from './host';

type Fixture = typeof import('./fixtures/plain-app.js');

let fixture: Fixture;
let alpha: LocalHost;
let beta: LocalHost;
const seed = { tag: 'alpha' };
const logs: string[] = [];

const options = (extra: Partial<StartHostOptions>): StartHostOptions => ({
  loadEntry: async () => {
    fixture = await import('./fixtures/plain-app.js');
  },
  port: 0,
  hostJsonPath: path.resolve(__dirname, '../../host.json'),
  log: (line) => logs.push(line),
  ...extra,
});

beforeAll(async () => {
  alpha = await startHost(options({ appHookData: seed, host: 'localhost' }));
  beta = await startHost(options({ appHookData: { tag: 'beta' } }));
});

afterAll(async () => {
  await alpha?.close();
  await beta?.close();
  if (process.env.DUMP_HOST_LOGS) console.log(logs.join('\n'));
});

/** GET over a chosen address family, bypassing how `localhost` resolves. */
function getVia(address: string, port: number, urlPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: address, port, path: urlPath, family: address.includes(':') ? 6 : 4 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body));
      },
    );
    req.on('error', reject);
  });
}

describe('two hosts in one process', () => {
  it('both serve the registrations captured by the first load of the entry', () => {
    const names = (h: LocalHost): string[] => h.functions.map((f) => f.name).sort();
    expect(names(alpha)).toEqual(['echo', 'gated', 'tag', 'whoami']);
    expect(names(beta)).toEqual(names(alpha));
  });

  it('gives each host its own appHookData, seeded from a copy of the option', async () => {
    expect(fixture.calls.appStartTags).toEqual(['alpha', 'beta']);
    // Through app.hook.preInvocation (hookData seeded from appHookData) and the raw core hook.
    const tags = async (h: LocalHost): Promise<unknown> => (await fetch(`${h.url}/api/tag`)).json();
    expect(await tags(alpha)).toEqual({ tag: 'alpha', coreTag: 'alpha' });
    expect(await tags(beta)).toEqual({ tag: 'beta', coreTag: 'beta' });

    // The host works on a copy: changing the caller's object later changes nothing.
    seed.tag = 'changed';
    expect(await tags(alpha)).toEqual({ tag: 'alpha', coreTag: 'alpha' });
    expect(alpha.appHookData).not.toBe(seed);
    expect(beta.appHookData).toEqual({ tag: 'beta' });
  });

  it('listens on 127.0.0.1 and, when the machine has it, ::1 for host "localhost"', async () => {
    expect(alpha.url).toBe(`http://127.0.0.1:${alpha.port}`);
    expect(alpha.addresses[0]).toBe('127.0.0.1');
    expect(await getVia('127.0.0.1', alpha.port, '/api/tag')).toContain('alpha');
    if (alpha.addresses.includes('::1')) {
      expect(JSON.parse(await getVia('::1', alpha.port, '/api/whoami'))).toEqual({ forwardedFor: '::1' });
    }
    expect(beta.addresses).toEqual(['127.0.0.1']);
  });

  it('runs appTerminate hooks with the closing host’s appHookData', async () => {
    await beta.close();
    expect(fixture.calls.appTerminateTags).toEqual(['beta']);
    expect(await (await fetch(`${alpha.url}/api/tag`)).json()).toMatchObject({ tag: 'alpha' });
  });
});
