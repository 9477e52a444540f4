import fs from 'node:fs';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type AzuriteHandle } from '../../dev/host/azurite';
import { parseBlobPath } from '../../dev/host/blob-path';
import type { Registration } from '../../dev/host/core-shim';
import { jobs } from '../../shared/contracts/jobs';
import { storageBlobStore } from '../../shared/storage/blobs';
import { blobTriggers, loadRegistrations, queueTriggerQueues } from '../../scripts/registrations';
import { at, declaration, evaluate, readBicep, resourcesOfType } from './bicep';

const repo = path.resolve(__dirname, '..', '..');
const main = readBicep(path.join(repo, 'infra', 'main.bicep'));
const storage = readBicep(path.join(repo, 'infra', 'modules', 'storage.bicep'));
const listed = (name: string) => evaluate(declaration(main, 'var', name).value, main) as string[];

/** Containers the core names as constants (`export const DOCUMENTS_CONTAINER = 'documents'`). */
function containerConstants(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        for (const m of fs.readFileSync(p, 'utf8').matchAll(/export const \w+_CONTAINER = '([a-z0-9-]+)'/g)) {
          found.push(m[1]!);
        }
      }
    }
  };
  walk(path.join(repo, 'shared'));
  return [...new Set(found)].sort();
}

let registrations: Registration[];
beforeAll(async () => {
  registrations = await loadRegistrations(() => import('../../functions/index.js'));
});

describe('queues', () => {
  it('every queue the code declares or triggers on, and its -poison twin, and no other', () => {
    const used = [...new Set([...jobs.map((j) => j.queue), ...queueTriggerQueues(registrations)])];
    expect(used.length).toBeGreaterThan(0);
    const expected = used.flatMap((q) => [q, `${q}-poison`]).sort();
    expect([...listed('queueNames')].sort()).toEqual(expected);
  });

  it('are created by the storage module from that list', () => {
    const [queues] = resourcesOfType(storage, 'Microsoft.Storage/storageAccounts/queueServices/queues');
    expect(queues?.value.kind === 'for' && queues.value.source).toMatchObject({
      kind: 'ident',
      name: 'queueNames',
    });
    expect(at(declaration(main, 'module', 'storage').value, 'params', 'queueNames')).toMatchObject({
      name: 'queueNames',
    });
  });
});

describe('blob containers', () => {
  it('every container the core writes to and every blob trigger watches, and no other', () => {
    const triggered = blobTriggers(registrations).map((t) => parseBlobPath(t.path).container);
    expect(triggered.sort()).toEqual(['documents', 'inbox']);
    const used = [...new Set([...containerConstants(), ...triggered])].sort();
    expect(used).toEqual(expect.arrayContaining(['documents', 'inbox']));
    expect([...listed('containerNames')].sort()).toEqual(used);
  });

  it('are created private, with the deployment package container beside them', () => {
    const [containers] = resourcesOfType(
      storage,
      'Microsoft.Storage/storageAccounts/blobServices/containers',
    );
    const loop = containers!.value;
    expect(loop.kind).toBe('for');
    const source = loop.kind === 'for' ? loop.source : loop;
    expect(source.kind === 'call' && source.callee.kind === 'ident' && source.callee.name).toBe('concat');
    expect(source.kind === 'call' && source.args[0]).toMatchObject({ kind: 'ident', name: 'containerNames' });
    const body = loop.kind === 'for' ? loop.body : loop;
    expect(evaluate(at(body, 'properties', 'publicAccess'), storage)).toBe('None');
    const [account] = resourcesOfType(storage, 'Microsoft.Storage/storageAccounts');
    expect(evaluate(at(account!.value, 'properties', 'allowBlobPublicAccess'), storage)).toBe(false);
    expect(evaluate(at(account!.value, 'properties', 'minimumTlsVersion'), storage)).toBe('TLS1_2');
  });
});

describe('CORS for upload links', () => {
  let azurite: AzuriteHandle;
  beforeAll(async () => {
    azurite = await startAzurite({ inMemory: true });
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  it("is the rule the app sets on Azurite itself, for the app's one origin", async () => {
    await storageBlobStore(azurite.connectionString).allowUploadsFrom('https://gm.example');
    const props = await BlobServiceClient.fromConnectionString(azurite.connectionString).getProperties();
    const appRule = props.cors!.find((r) => r.allowedOrigins === 'https://gm.example')!;
    const [blobService] = resourcesOfType(storage, 'Microsoft.Storage/storageAccounts/blobServices');
    const [rule] = evaluate(at(blobService!.value, 'properties', 'cors', 'corsRules'), storage) as Record<
      string,
      unknown
    >[];
    const csv = (v: unknown) => (v as string[]).join(',');
    expect({
      allowedMethods: csv(rule!.allowedMethods),
      allowedHeaders: csv(rule!.allowedHeaders),
      exposedHeaders: csv(rule!.exposedHeaders),
      maxAgeInSeconds: rule!.maxAgeInSeconds,
    }).toEqual({
      allowedMethods: appRule.allowedMethods,
      allowedHeaders: appRule.allowedHeaders,
      exposedHeaders: appRule.exposedHeaders,
      maxAgeInSeconds: appRule.maxAgeInSeconds,
    });
    expect(at(blobService!.value, 'properties', 'cors', 'corsRules').kind).toBe('array');
    const origins = at(declaration(main, 'module', 'storage').value, 'params', 'uploadOrigins');
    expect(origins.kind === 'array' && origins.items).toEqual([
      expect.objectContaining({ kind: 'ident', name: 'origin' }),
    ]);
  });
});
