import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Registration } from '../../dev/host/core-shim';
import { deploy } from '../../scripts/deploy';
import { blobTriggerSubscriptions } from '../../scripts/event-grid';
import { blobTriggers, loadRegistrations } from '../../scripts/registrations';
import { at, declaration, evaluate, readBicep, resourcesOfType } from './bicep';

const repo = path.resolve(__dirname, '..', '..');
const target = { functionAppHost: 'func-abc.azurewebsites.net', blobsExtensionKey: 'key/with+chars==' };

let registrations: Registration[];
beforeAll(async () => {
  registrations = await loadRegistrations(() => import('../../functions/index.js'));
});

describe('Event Grid subscriptions for the blob triggers', () => {
  it('one per blob trigger the entry file registers, each posting to that function', () => {
    const triggers = blobTriggers(registrations);
    expect(triggers.map((t) => t.functionName).sort()).toEqual(['documents-arrive', 'inbox-arrive']);
    const subs = blobTriggerSubscriptions(triggers, target);
    expect(subs).toHaveLength(triggers.length);
    for (const sub of subs) {
      const url = new URL(sub.body.properties.destination.properties.endpointUrl);
      expect(`${url.origin}${url.pathname}`).toBe(
        'https://func-abc.azurewebsites.net/runtime/webhooks/blobs',
      );
      expect(url.searchParams.get('functionName')).toBe(`Host.Functions.${sub.functionName}`);
      expect(url.searchParams.get('code')).toBe('key/with+chars==');
      expect(sub.body.properties.filter.includedEventTypes).toEqual(['Microsoft.Storage.BlobCreated']);
      expect(sub.name).toMatch(/^[A-Za-z0-9-]{3,64}$/);
    }
    expect(new Set(subs.map((s) => s.name)).size).toBe(subs.length);
  });

  it("filters each to its trigger's container, so one trigger never receives the other's blobs", () => {
    const subs = blobTriggerSubscriptions(blobTriggers(registrations), target);
    const filters = Object.fromEntries(
      subs.map((s) => [s.functionName, s.body.properties.filter.subjectBeginsWith]),
    );
    expect(filters).toEqual({
      'documents-arrive': '/blobServices/default/containers/documents/blobs/',
      'inbox-arrive': '/blobServices/default/containers/inbox/blobs/',
    });
  });

  it('narrows to a literal prefix and suffix when the path has them', () => {
    const [sub] = blobTriggerSubscriptions(
      [{ functionName: 'pdf-arrive', path: 'uploads/in/{name}.pdf', source: 'EventGrid' }],
      target,
    );
    expect(sub!.body.properties.filter).toMatchObject({
      subjectBeginsWith: '/blobServices/default/containers/uploads/blobs/in/',
      subjectEndsWith: '.pdf',
    });
  });

  it('refuses a polling blob trigger, which Flex Consumption never runs', () => {
    expect(() =>
      blobTriggerSubscriptions([{ functionName: 'old-style', path: 'documents/{name}' }], target),
    ).toThrow(/old-style/);
  });

  it("go to the system topic of the app's storage account, which infra creates", () => {
    const storage = readBicep(path.join(repo, 'infra', 'modules', 'storage.bicep'));
    const [topic] = resourcesOfType(storage, 'Microsoft.EventGrid/systemTopics');
    expect(evaluate(at(topic!.value, 'properties', 'topicType'), storage)).toBe(
      'Microsoft.Storage.StorageAccounts',
    );
    expect(at(topic!.value, 'properties', 'source')).toMatchObject({ kind: 'member', name: 'id' });
    const main = readBicep(path.join(repo, 'infra', 'main.bicep'));
    expect(declaration(main, 'output', 'AZURE_EVENT_GRID_SYSTEM_TOPIC').value).toMatchObject({
      kind: 'member',
      name: 'eventGridSystemTopicName',
    });
  });

  it('are created by the deploy step after publish; a dry run prints them with the key masked', async () => {
    const lines: string[] = [];
    const report = await deploy({
      root: fs.mkdtempSync(path.join(os.tmpdir(), 'gm-eg-')),
      steps: ['triggers'],
      dryRun: true,
      env: { AZURE_FUNCTION_APP_HOSTNAME: 'func-abc.azurewebsites.net' },
      log: (line) => lines.push(line),
      loadEntry: () => import('../../functions/index.js'),
    });
    expect(report.subscriptions?.map((s) => s.functionName).sort()).toEqual([
      'documents-arrive',
      'inbox-arrive',
    ]);
    const printed = lines.filter((l) => l.includes('would subscribe'));
    expect(printed).toHaveLength(2);
    for (const line of printed) {
      expect(line).toContain('code=***');
      expect(line).not.toContain('blobs_extension key');
    }
  });
});
