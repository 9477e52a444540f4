/**
 * The identity path against real Azurite over HTTPS with OAuth (test/helpers/oauth-azurite.ts):
 * bearer tokens for blobs and queues, user delegation keys, and upload links whose signatures
 * Azurite verifies as Azure Storage does.
 */
import https from 'node:https';
import type { TokenCredential } from '@azure/identity';
import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APP_OBJECT_ID,
  fakeEntra,
  startOAuthAzurite,
  TENANT,
  trustAnyCertificateForTheSdk,
  type OAuthAzurite,
} from '../../test/helpers/oauth-azurite';
import { loadConfig } from '../config';
import { storageBlobStore } from './blobs';
import { describeConnection, storageConnection, type StorageConnection } from './connection';
import { storageQueueSender } from './queues';

/** A request as the browser makes it to an upload link: no credentials, TLS checked against our CA. */
function request(url: string, method: string, body?: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method,
        ca: azurite.certs.caPem,
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

let azurite: OAuthAzurite;
let untrust: () => void;

beforeAll(async () => {
  azurite = await startOAuthAzurite();
  untrust = trustAnyCertificateForTheSdk();
});

afterAll(async () => {
  untrust?.();
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
    const blobs = storageBlobStore(identityConnection(fakeEntra([-600])));
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
