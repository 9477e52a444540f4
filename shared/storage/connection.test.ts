import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import type { UserDelegationKey } from '@azure/storage-blob';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config';
import { openServices } from '../services';
import { DELEGATION_KEY_MARGIN_MS, userDelegationSigner } from './blobs';
import { storageConnection } from './connection';
import { appCredential, credentialChoice } from './credential';

const CLIENT_ID = '3f2c1b4a-9d8e-4f7a-b6c5-1e2d3c4b5a69';
const noCredential = (): TokenCredential => {
  throw new Error('no identity wanted for a connection string');
};
const badConfig = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (err) {
    return String(err);
  }
  throw new Error('expected loadConfig to refuse');
};

describe('storage settings', () => {
  it('a connection string, as Azurite and func start use', () => {
    const config = loadConfig({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' });
    const connection = storageConnection(config, noCredential);
    expect(connection?.kind).toBe('connection-string');
    expect(connection?.kind === 'connection-string' && connection.connectionString).toContain(
      'BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1',
    );
  });

  it("an account name, as Flex Consumption's identity-based AzureWebJobsStorage", () => {
    const stub = { getToken: () => Promise.resolve(null) } satisfies TokenCredential;
    const config = loadConfig({
      AzureWebJobsStorage__accountName: 'stgloria01',
      AzureWebJobsStorage__credential: 'managedidentity',
    });
    expect(storageConnection(config, () => stub)).toEqual({
      kind: 'identity',
      blobServiceUri: 'https://stgloria01.blob.core.windows.net',
      queueServiceUri: 'https://stgloria01.queue.core.windows.net',
      credential: stub,
    });
  });

  it('service URIs instead of the account name (another cloud, a private endpoint)', () => {
    const config = loadConfig({
      AzureWebJobsStorage__blobServiceUri: 'https://st1.blob.core.usgovcloudapi.net',
      AzureWebJobsStorage__queueServiceUri: 'https://st1.queue.core.usgovcloudapi.net',
    });
    const connection = storageConnection(config, () => ({ getToken: () => Promise.resolve(null) }));
    expect(connection).toMatchObject({
      blobServiceUri: 'https://st1.blob.core.usgovcloudapi.net',
      queueServiceUri: 'https://st1.queue.core.usgovcloudapi.net',
    });
  });

  it('neither shape: nothing to connect to, and the app refuses to start naming both ways', async () => {
    expect(storageConnection(loadConfig({}), noCredential)).toBeUndefined();
    await expect(openServices(loadConfig({ DATA_DIR: '/nonexistent/not-created' }))).rejects.toThrow(
      /AzureWebJobsStorage: required, a connection string .* or AzureWebJobsStorage__accountName/,
    );
  });

  it('refuses a connection string beside identity settings, naming both', () => {
    const msg = badConfig({
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      AzureWebJobsStorage__accountName: 'stgloria01',
    });
    expect(msg).toMatch(/AzureWebJobsStorage: .*AzureWebJobsStorage__accountName/);
  });

  it('refuses one service URI without the other or an account name', () => {
    const msg = badConfig({ AzureWebJobsStorage__blobServiceUri: 'https://st1.blob.core.windows.net' });
    expect(msg).toContain(
      'AzureWebJobsStorage__queueServiceUri: required without AzureWebJobsStorage__accountName',
    );
    expect(msg).not.toContain('AzureWebJobsStorage__blobServiceUri: required');
  });

  it('refuses a client id without credential=managedidentity, and bad values by key', () => {
    expect(
      badConfig({ AzureWebJobsStorage__accountName: 'stgloria01', AzureWebJobsStorage__clientId: CLIENT_ID }),
    ).toContain('AzureWebJobsStorage__clientId: needs AzureWebJobsStorage__credential=managedidentity');
    const msg = badConfig({
      AzureWebJobsStorage__accountName: 'St_Gloria',
      AzureWebJobsStorage__credential: 'password',
      AzureWebJobsStorage__clientId: 'my-identity',
    });
    for (const key of [
      'AzureWebJobsStorage__accountName',
      'AzureWebJobsStorage__credential',
      'AzureWebJobsStorage__clientId',
    ])
      expect(msg).toContain(`${key}:`);
  });

  it('reads empty identity settings as unset, as local.settings.json lists them', () => {
    const config = loadConfig({
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      AzureWebJobsStorage__accountName: '',
      AzureWebJobsStorage__credential: '',
      AzureWebJobsStorage__clientId: '',
    });
    expect(storageConnection(config, noCredential)?.kind).toBe('connection-string');
  });
});

describe('the app identity', () => {
  it('managedidentity: the managed identity alone, user-assigned by client id or system-assigned', () => {
    const user = loadConfig({
      AzureWebJobsStorage__accountName: 'stgloria01',
      AzureWebJobsStorage__credential: 'ManagedIdentity',
      AzureWebJobsStorage__clientId: CLIENT_ID,
    });
    expect(credentialChoice(user)).toEqual({ kind: 'managed-identity', clientId: CLIENT_ID });
    expect(appCredential(user)).toBeInstanceOf(ManagedIdentityCredential);
    const system = loadConfig({
      AzureWebJobsStorage__accountName: 'stgloria01',
      AzureWebJobsStorage__credential: 'managedidentity',
    });
    expect(credentialChoice(system)).toEqual({ kind: 'managed-identity', clientId: undefined });
  });

  it("otherwise DefaultAzureCredential's chain (a developer's az login, a pipeline's environment)", () => {
    const config = loadConfig({ AzureWebJobsStorage__accountName: 'stgloria01' });
    expect(credentialChoice(config)).toEqual({ kind: 'default-chain' });
    expect(appCredential(config)).toBeInstanceOf(DefaultAzureCredential);
  });
});

describe('upload links signed with a user delegation key', () => {
  const key = (startsOn: Date, expiresOn: Date): UserDelegationKey => ({
    signedObjectId: '0b9c3e3a-6f1d-4e8e-9a54-3f6a2d1c7e10',
    signedTenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    signedStartsOn: startsOn,
    signedExpiresOn: expiresOn,
    signedService: 'b',
    signedVersion: '2025-11-05',
    value: Buffer.from('a delegation key of thirty-two b').toString('base64'),
  });
  /** A blob service whose Get User Delegation Key is scripted: each answer in turn, recording the asks. */
  function service(answers: ('ok' | 'fail')[] = []) {
    const asked: { startsOn: Date; expiresOn: Date }[] = [];
    return {
      asked,
      accountName: 'stgloria01',
      getUserDelegationKey(startsOn: Date, expiresOn: Date) {
        asked.push({ startsOn, expiresOn });
        if (answers[asked.length - 1] === 'fail') {
          return Promise.reject(
            Object.assign(new Error('AuthorizationPermissionMismatch'), { statusCode: 403 }),
          );
        }
        return Promise.resolve(key(startsOn, expiresOn));
      },
    };
  }
  const in15min = () => new Date(Date.now() + 15 * 60_000);

  it('name the key, its identity and tenant, write-only on one blob, HTTPS only', async () => {
    const sign = userDelegationSigner(service());
    const expiresAt = in15min();
    const q = new URLSearchParams(await sign('documents', 'u1/d1/a.txt', expiresAt));
    expect({
      sp: q.get('sp'),
      sr: q.get('sr'),
      spr: q.get('spr'),
      skoid: q.get('skoid'),
      sktid: q.get('sktid'),
      sks: q.get('sks'),
      sv: q.get('sv'),
    }).toEqual({
      sp: 'cw',
      sr: 'b',
      spr: 'https',
      skoid: '0b9c3e3a-6f1d-4e8e-9a54-3f6a2d1c7e10',
      sktid: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      sks: 'b',
      sv: '2025-11-05',
    });
    expect(q.get('se')).toBe(expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z'));
    expect(q.get('sig')).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });

  it('reuse one key for many links, and ask for a new one only when a link would outlive it', async () => {
    const stub = service();
    const sign = userDelegationSigner(stub);
    await Promise.all([sign('documents', 'a', in15min()), sign('documents', 'b', in15min())]);
    await sign('documents', 'c', in15min());
    expect(stub.asked).toHaveLength(1);
    const first = stub.asked[0]!.expiresOn.getTime();
    expect(first - Date.now()).toBeGreaterThan(60 * 60_000);

    const late = new Date(first - DELEGATION_KEY_MARGIN_MS + 1000);
    const q = new URLSearchParams(await sign('documents', 'd', late));
    expect(stub.asked).toHaveLength(2);
    expect(stub.asked[1]!.expiresOn.getTime()).toBeGreaterThanOrEqual(
      late.getTime() + DELEGATION_KEY_MARGIN_MS,
    );
    expect(new Date(q.get('ske')!).getTime()).toBeGreaterThan(late.getTime());
  });

  it('ask again after a refused key request instead of keeping the failure', async () => {
    const stub = service(['fail', 'ok']);
    const sign = userDelegationSigner(stub);
    await expect(sign('documents', 'a', in15min())).rejects.toMatchObject({ statusCode: 403 });
    await expect(sign('documents', 'a', in15min())).resolves.toContain('skoid=');
    expect(stub.asked).toHaveLength(2);
  });

  it('refuse a link longer than a delegation key may live (seven days)', async () => {
    const stub = service();
    await expect(
      userDelegationSigner(stub)('documents', 'a', new Date(Date.now() + 8 * 24 * 3600_000)),
    ).rejects.toThrow(/seven days/);
    expect(stub.asked).toHaveLength(0);
  });
});
