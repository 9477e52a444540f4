import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { armClient, blobsExtensionKey, publishPackage, siteHosts, type Fetch } from '../../scripts/azure';

/**
 * Azure cannot be reached from here: these drive the deploy script's calls against scripted
 * answers shaped like the deployment site's and Resource Manager's, recording what was sent.
 */
function scripted(answers: ((url: string, init?: RequestInit) => Response | undefined)[]): {
  fetchImpl: Fetch;
  calls: { url: string; method: string; auth: string | null; body?: Buffer }[];
} {
  const calls: { url: string; method: string; auth: string | null; body?: Buffer }[] = [];
  let next = 0;
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : input.toString();
    const headers = new Headers(init?.headers);
    calls.push({
      url,
      method: init?.method ?? 'GET',
      auth: headers.get('authorization'),
      body: init?.body instanceof Uint8Array ? Buffer.from(init.body) : undefined,
    });
    const answer = answers[Math.min(next++, answers.length - 1)]!(url, init);
    if (!answer) throw new Error(`unexpected request ${url}`);
    return answer;
  }) as Fetch;
  return { fetchImpl, calls };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

function zipFile(): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gm-zip-')), 'function-package.zip');
  fs.writeFileSync(file, Buffer.from('PK\u0003\u0004 package bytes'));
  return file;
}

describe('OneDeploy publish', () => {
  it('posts the zip with the bearer token, waits out an access refusal, and returns once it succeeded', async () => {
    const zipPath = zipFile();
    const { fetchImpl, calls } = scripted([
      () => new Response('{"Code":"Forbidden"}', { status: 403 }),
      () => new Response('"6e1c5f0e-3f5b-4c36-9e4e-2f6a0a3c1d11"', { status: 202 }),
      () => json(200, { id: '6e1c5f0e-3f5b-4c36-9e4e-2f6a0a3c1d11', status: 1 }),
      () => json(200, { id: '6e1c5f0e-3f5b-4c36-9e4e-2f6a0a3c1d11', status: 4, complete: true }),
    ]);
    await publishPackage({
      scmHost: 'func-abc.scm.azurewebsites.net',
      zipPath,
      token: async () => 'tok',
      fetchImpl,
      pollMs: 1,
    });
    expect(calls.map((c) => `${c.method} ${new URL(c.url).pathname}`)).toEqual([
      'POST /api/publish',
      'POST /api/publish',
      'GET /api/deployments/latest',
      'GET /api/deployments/latest',
    ]);
    expect(new URL(calls[0]!.url).searchParams.get('RemoteBuild')).toBe('false');
    expect(calls.every((c) => c.auth === 'Bearer tok')).toBe(true);
    expect(calls[1]!.body).toEqual(fs.readFileSync(zipPath));
  });

  it("fails with the deployment site's reason when the deployment failed", async () => {
    const { fetchImpl } = scripted([
      () => new Response('"d1"', { status: 202 }),
      () =>
        json(200, { id: 'd1', status: 3, status_text: 'Package deployment failed: host.json is invalid' }),
    ]);
    await expect(
      publishPackage({ scmHost: 's', zipPath: zipFile(), token: async () => 't', fetchImpl, pollMs: 1 }),
    ).rejects.toThrow(/failed: Package deployment failed: host\.json is invalid/);
  });

  it('does not retry a refusal that is not about access', async () => {
    const { fetchImpl, calls } = scripted([() => new Response('Bad zip', { status: 400 })]);
    await expect(
      publishPackage({ scmHost: 's', zipPath: zipFile(), token: async () => 't', fetchImpl, pollMs: 1 }),
    ).rejects.toThrow(/answered 400: Bad zip/);
    expect(calls).toHaveLength(1);
  });
});

describe('Resource Manager calls', () => {
  const credential = {
    getToken: async () => ({ token: 'arm-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
  };
  const target = { subscriptionId: 'sub', resourceGroup: 'rg-gm', appName: 'func-abc' };

  it("finds the deployment host among the app's host names", async () => {
    const { fetchImpl, calls } = scripted([
      () =>
        json(200, {
          properties: {
            defaultHostName: 'func-abc.azurewebsites.net',
            enabledHostNames: ['func-abc.azurewebsites.net', 'func-abc.scm.azurewebsites.net'],
          },
        }),
    ]);
    expect(await siteHosts(armClient(credential, fetchImpl), target)).toEqual({
      defaultHost: 'func-abc.azurewebsites.net',
      scmHost: 'func-abc.scm.azurewebsites.net',
    });
    expect(calls[0]!.url).toBe(
      'https://management.azure.com/subscriptions/sub/resourceGroups/rg-gm/providers/Microsoft.Web/sites/func-abc?api-version=2024-04-01',
    );
    expect(calls[0]!.auth).toBe('Bearer arm-token');
  });

  it('waits for the host to create its blobs_extension key', async () => {
    const lines: string[] = [];
    const { fetchImpl, calls } = scripted([
      () => json(503, { error: 'host restarting' }),
      () => json(200, { masterKey: 'm', systemKeys: {} }),
      () => json(200, { masterKey: 'm', systemKeys: { blobs_extension: 'the-key' } }),
    ]);
    const arm = armClient(credential, fetchImpl);
    // The 503 is retried by the client itself; the empty key list by the poll.
    expect(await blobsExtensionKey(arm, target, { pollMs: 1, log: (l) => lines.push(l) })).toBe('the-key');
    expect(calls.every((c) => c.method === 'POST' && c.url.includes('/host/default/listkeys'))).toBe(true);
    expect(lines.some((l) => l.includes('blobs_extension'))).toBe(true);
  }, 20_000);
});
