/**
 * Blob triggers on the local host against Azurite: each blob version fires once, a rewrite fires
 * again, a restarted host does not fire what already fired, a blob that always fails gives up
 * after maxDequeueCount tries, and a blob trigger with a durable client starts an orchestration.
 * "Did not fire" is proven with barrier blobs: a later blob firing means the scan that listed it
 * also listed (and skipped) the earlier ones.
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startAzurite, type AzuriteHandle } from './azurite';
import { startHost, type LocalHost, type StartHostOptions } from './host';

// Polls below wait up to 45 s for a condition on a busy machine; give each test room for that.
vi.setConfig({ testTimeout: 90_000 });
type Fixture = typeof import('./fixtures/blob-app.js');

let azurite: AzuriteHandle;
let host: LocalHost;
let fixture: Fixture;
let blobs: BlobServiceClient;
const logs: string[] = [];

const options = (): StartHostOptions => ({
  loadEntry: async () => {
    fixture = await import('./fixtures/blob-app.js');
  },
  port: 0,
  hostJsonPath: path.resolve(__dirname, '../../host.json'),
  blobs: { pollIntervalMs: 100 },
  durable: { pollIntervalMs: 50 },
  // Retry failed blobs quickly (host.json says 5 s).
  queueOverrides: { visibilityTimeoutMs: 50 },
  log: (line) => logs.push(line),
});

const POLL = { timeout: 30_000, interval: 50 };

beforeAll(async () => {
  azurite = await startAzurite({ inMemory: true });
  process.env.AzureWebJobsStorage = azurite.connectionString;
  blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
  for (const c of ['docs', 'broken', 'incoming']) await blobs.getContainerClient(c).createIfNotExists();
  host = await startHost(options());
});

afterAll(async () => {
  await host?.close();
  await azurite?.stop();
  if (process.env.DUMP_HOST_LOGS) console.log(logs.join('\n'));
});

async function put(container: string, name: string, text: string): Promise<string> {
  const r = await blobs
    .getContainerClient(container)
    .getBlockBlobClient(name)
    .upload(text, Buffer.byteLength(text), { blobHTTPHeaders: { blobContentType: 'text/plain' } });
  return r.etag!;
}

const firedFor = (name: string): number =>
  fixture.calls.seen.filter((s) => s.metadata.blobTrigger === `docs/${name}`).length;

describe('blob triggers', () => {
  it('are listed with their path and source', () => {
    const byName = Object.fromEntries(host.functions.map((f) => [f.name, f]));
    expect(byName.onDocument).toMatchObject({
      triggerType: 'blobTrigger',
      description: 'blob: docs/{userId}/{name} (EventGrid; polled locally)',
      problem: undefined,
    });
    expect(byName.onBroken?.description).toBe('blob: broken/{name} (LogsAndContainerScan; polled locally)');
  });

  it('fire once for a new blob, with its content as a Buffer and the trigger metadata', async () => {
    const etag = await put('docs', 'u1/a.txt', 'hello');
    await expect.poll(() => firedFor('u1/a.txt'), POLL).toBe(1);
    const seen = fixture.calls.seen.find((s) => s.metadata.blobTrigger === 'docs/u1/a.txt')!;
    expect(seen.isBuffer).toBe(true);
    expect(seen.text).toBe('hello');
    expect(seen.metadata).toMatchObject({
      blobTrigger: 'docs/u1/a.txt',
      userId: 'u1',
      name: 'a.txt',
      uri: expect.stringMatching(/\/docs\/u1\/a\.txt$/),
      properties: { eTag: etag, contentLength: 5, contentType: 'text/plain' },
      metadata: {},
    });

    // A later blob firing means a scan listed both; a.txt was skipped.
    await put('docs', 'u1/b.txt', 'barrier');
    await expect.poll(() => firedFor('u1/b.txt'), POLL).toBe(1);
    expect(firedFor('u1/a.txt')).toBe(1);
  });

  it('fire again when a blob is rewritten (a new ETag)', async () => {
    const etag = await put('docs', 'u1/a.txt', 'hello again');
    await expect.poll(() => firedFor('u1/a.txt'), POLL).toBe(2);
    const last = fixture.calls.seen.filter((s) => s.metadata.blobTrigger === 'docs/u1/a.txt').at(-1)!;
    expect(last.text).toBe('hello again');
    expect((last.metadata.properties as { eTag: string }).eTag).toBe(etag);
  });

  it('give up on a version after maxDequeueCount failures, with a receipt and a poison message, while others flow', async () => {
    await put('broken', 'x.bin', 'bad');
    await put('docs', 'u2/c.txt', 'fine');
    await expect.poll(() => firedFor('u2/c.txt'), POLL).toBe(1);
    const poison = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient(
      'webjobs-blobtrigger-poison',
    );
    await expect
      .poll(
        async () => ((await poison.exists()) ? (await poison.getProperties()).approximateMessagesCount : 0),
        POLL,
      )
      .toBe(1);
    expect(fixture.calls.brokenAttempts).toBe(5);
    const [message] = (await poison.peekMessages()).peekedMessageItems;
    expect(JSON.parse(Buffer.from(message!.messageText, 'base64').toString('utf8'))).toMatchObject({
      FunctionId: 'Host.Functions.onBroken',
      ContainerName: 'broken',
      BlobName: 'x.bin',
    });
    const receipts = [];
    for await (const r of blobs
      .getContainerClient('azure-webjobs-hosts')
      .listBlobsFlat({ prefix: 'blobreceipts/local-host/Host.Functions.onBroken/', includeMetadata: true })) {
      receipts.push({ name: r.name, status: r.metadata?.status, attempts: r.metadata?.attempts });
    }
    expect(receipts).toEqual([
      { name: expect.stringMatching(/\/broken\/x\.bin$/), status: 'failed', attempts: '5' },
    ]);
  });

  it('start an orchestration through a durable client, once per blob version', async () => {
    const etag = await put('incoming', 'note.txt', 'twelve chars');
    const id = `measure-note.txt-${etag.replace(/"/g, '')}`;
    await expect.poll(() => fixture.calls.started, POLL).toContain(id);
    await expect
      .poll(
        async () =>
          (await (await fetch(`${host.url}/runtime/webhooks/durabletask/instances/${id}`)).json())
            .runtimeStatus,
        POLL,
      )
      .toBe('Completed');
    const status = await (await fetch(`${host.url}/runtime/webhooks/durabletask/instances/${id}`)).json();
    expect(status.output).toBe(12);
  });

  it('do not fire again after a host restart', async () => {
    const before = {
      a: firedFor('u1/a.txt'),
      b: firedFor('u1/b.txt'),
      c: firedFor('u2/c.txt'),
      broken: fixture.calls.brokenAttempts,
    };
    await host.close();
    host = await startHost(options());
    await put('docs', 'u3/after-restart.txt', 'barrier');
    await expect.poll(() => firedFor('u3/after-restart.txt'), POLL).toBe(1);
    expect({
      a: firedFor('u1/a.txt'),
      b: firedFor('u1/b.txt'),
      c: firedFor('u2/c.txt'),
      broken: fixture.calls.brokenAttempts,
    }).toEqual(before);
    expect(fixture.calls.started).toHaveLength(1);
  });
});
