/**
 * The identity path against real Azurite: HTTPS with `--oauth basic`, where Azurite checks a bearer
 * token's issuer, audience and lifetime (not its signature), issues user delegation keys, and
 * verifies user delegation SAS signatures the way Azure Storage does. The token comes from a
 * stand-in for Microsoft Entra ID (unreachable here): an unsigned JWT with Entra's claims.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../dev/host/azurite';
import { createLocalCertificates, type LocalCertificates } from '../../dev/fake-identity/tls';
import { loadConfig } from '../config';
import { storageBlobStore } from './blobs';
import { describeConnection, storageConnection, type StorageConnection } from './connection';
import { storageQueueSender } from './queues';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const APP_OBJECT_ID = '0b9c3e3a-6f1d-4e8e-9a54-3f6a2d1c7e10';

const b64url = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** What Entra would hand the app's identity for storage; `lifetimeS` < 0 is an expired one. */
function entraToken(lifetimeS = 3600): string {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    aud: 'https://storage.azure.com',
    iss: `https://sts.windows.net/${TENANT}/`,
    nbf: now - 300,
    iat: now - 300,
    exp: now + lifetimeS,
    oid: APP_OBJECT_ID,
    tid: TENANT,
  };
  return `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url(claims)}.c2lnbmF0dXJl`;
}

function fakeEntra(lifetimeS = 3600): TokenCredential & { scopes: string[] } {
  const scopes: string[] = [];
  return {
    scopes,
    getToken(scope: string | string[]): Promise<AccessToken> {
      scopes.push(...[scope].flat());
      return Promise.resolve({
        token: entraToken(lifetimeS),
        expiresOnTimestamp: Date.now() + lifetimeS * 1000,
      });
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Azurite as dev/host runs it, plus HTTPS and OAuth, which the local host does not need. */
async function startOAuthAzurite(certs: LocalCertificates) {
  const dir = path.dirname(certs.caFile);
  const [blobPort = 0, queuePort = 0, tablePort = 0] = await freePorts(3);
  const pkg = require.resolve('azurite/package.json');
  const bin = (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { bin: Record<string, string> }).bin.azurite!;
  // prettier-ignore
  const child: ChildProcess = spawn(process.execPath, [
    path.resolve(path.dirname(pkg), bin), '--silent', '--loose', '--skipApiVersionCheck', '--disableTelemetry',
    '--inMemoryPersistence', '--oauth', 'basic',
    '--cert', path.join(dir, 'server.pem'), '--key', path.join(dir, 'server.key'),
    '--blobHost', '127.0.0.1', '--blobPort', String(blobPort),
    '--queueHost', '127.0.0.1', '--queuePort', String(queuePort),
    '--tableHost', '127.0.0.1', '--tablePort', String(tablePort),
  ], { stdio: 'ignore' });
  const deadline = Date.now() + 20_000;
  while (!(await canConnect(blobPort)) || !(await canConnect(queuePort))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('Azurite (OAuth) did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    blobServiceUri: `https://127.0.0.1:${blobPort}/devstoreaccount1`,
    queueServiceUri: `https://127.0.0.1:${queuePort}/devstoreaccount1`,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A request as the browser makes it to an upload link: no credentials, TLS checked against our CA. */
function request(url: string, method: string, body?: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method,
        ca: certs.caPem,
        headers: body ? { 'x-ms-blob-type': 'BlockBlob', 'content-length': body.length } : {},
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let certs: LocalCertificates;
let azurite: Awaited<ReturnType<typeof startOAuthAzurite>>;
let previousTls: string | undefined;

beforeAll(async () => {
  certs = createLocalCertificates();
  azurite = await startOAuthAzurite(certs);
  // Node reads NODE_EXTRA_CA_CERTS only at start, and the storage SDK makes its own agents, so for
  // the SDK's calls in this file TLS trusts any certificate; the browser-side requests check ours.
  previousTls = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
});

afterAll(async () => {
  if (previousTls === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previousTls;
  await azurite?.stop();
});

function identityConnection(credential: TokenCredential): StorageConnection {
  const config = loadConfig({
    AzureWebJobsStorage__blobServiceUri: azurite.blobServiceUri,
    AzureWebJobsStorage__queueServiceUri: azurite.queueServiceUri,
    AzureWebJobsStorage__credential: 'managedidentity',
  });
  return storageConnection(config, () => credential)!;
}

describe('storage as the app identity (Azurite with OAuth)', () => {
  it('stores and reads blobs and sends queue messages with a bearer token, no account key', async () => {
    const entra = fakeEntra();
    const connection = identityConnection(entra);
    expect(connection.kind).toBe('identity');
    expect(describeConnection(connection)).toBe('azurite');
    const blobs = storageBlobStore(connection);
    await blobs.put('documents', 'u1/d1/notes.txt', new TextEncoder().encode('hello'), 'text/plain');
    const read = await blobs.get('documents', 'u1/d1/notes.txt');
    expect(read?.bytes.toString('utf8')).toBe('hello');
    expect(read?.contentType).toBe('text/plain');

    await storageQueueSender(connection).send('conversation-titles', { userId: 'u1', conversationId: 'c1' });
    const queue = new QueueServiceClient(azurite.queueServiceUri, entra).getQueueClient(
      'conversation-titles',
    );
    const [message] = (await queue.receiveMessages()).receivedMessageItems;
    expect(JSON.parse(Buffer.from(message!.messageText, 'base64').toString('utf8'))).toEqual({
      userId: 'u1',
      conversationId: 'c1',
    });
    // Storage's token audience, which the role assignments are for.
    expect(new Set(entra.scopes)).toEqual(new Set(['https://storage.azure.com/.default']));
  });

  it('is refused with an expired token, so the token is what lets it in', async () => {
    const blobs = storageBlobStore(identityConnection(fakeEntra(-600)));
    const refused = await blobs
      .put('documents', 'x.txt', new Uint8Array([1]), 'text/plain')
      .catch((e: unknown) => e);
    // Azure answers 401 for a token it will not take, Azurite 403 (AuthenticationFailed).
    expect([401, 403]).toContain((refused as { statusCode?: number }).statusCode);
  });

  it('signs upload links with a user delegation key: write-only, for that one blob, over HTTPS', async () => {
    const blobs = storageBlobStore(identityConnection(fakeEntra()));
    const expiresAt = new Date(Date.now() + 15 * 60_000);
    const link = new URL(await blobs.uploadUrl('documents', 'u1/d2/big file.txt', expiresAt));
    expect(link.protocol).toBe('https:');
    expect(decodeURIComponent(link.pathname)).toBe('/devstoreaccount1/documents/u1/d2/big file.txt');
    const q = link.searchParams;
    expect({
      sp: q.get('sp'),
      sr: q.get('sr'),
      spr: q.get('spr'),
      skoid: q.get('skoid'),
      sktid: q.get('sktid'),
    }).toEqual({
      sp: 'cw',
      sr: 'b',
      spr: 'https',
      skoid: APP_OBJECT_ID,
      sktid: TENANT,
    });
    expect(new Date(q.get('se')!).getTime()).toBe(Math.floor(expiresAt.getTime() / 1000) * 1000);

    const bytes = Buffer.from('Plant log: the fern wants water on Tuesdays.\n');
    const put = await request(link.toString(), 'PUT', bytes);
    expect(put.status).toBe(201);
    expect((await blobs.get('documents', 'u1/d2/big file.txt'))?.bytes.toString('utf8')).toBe(
      bytes.toString(),
    );
    // It cannot read, and its signature covers the blob's name and its own fields.
    expect((await request(link.toString(), 'GET')).status).toBe(403);
    const otherBlob = new URL(link);
    otherBlob.pathname = '/devstoreaccount1/documents/u2/d9/other.txt';
    expect((await request(otherBlob.toString(), 'PUT', bytes)).status).toBe(403);
    const readToo = new URL(link);
    readToo.searchParams.set('sp', 'rcw');
    expect((await request(readToo.toString(), 'GET')).status).toBe(403);
    expect(await blobs.size('documents', 'u2/d9/other.txt')).toBeNull();
  });
});
