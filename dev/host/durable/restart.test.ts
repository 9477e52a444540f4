/**
 * A host killed in the middle of an orchestration: the next host on the same storage resumes the
 * instance from its committed history, re-running only the activity that was in flight.
 */
import path from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { startAzurite, type AzuriteHandle } from '../azurite';
import { startHost, type LocalHost, type StartHostOptions } from '../host';

// Polls below wait up to 45 s for a condition on a busy machine; give each test room for that.
vi.setConfig({ testTimeout: 90_000 });
type Fixture = typeof import('../fixtures/durable-app.js');

let azurite: AzuriteHandle;
let fixture: Fixture;
const hosts: LocalHost[] = [];
const logs: string[] = [];

const options = (): StartHostOptions => ({
  loadEntry: async () => {
    fixture = await import('../fixtures/durable-app.js');
  },
  port: 0,
  hostJsonPath: path.resolve(__dirname, '../../../host.json'),
  // A crashed host's claim on running work lapses after 1.5 s (30 s by default).
  durable: { pollIntervalMs: 50, leaseMs: 1500, hubName: 'RestartTests' },
  log: (line) => logs.push(line),
});

beforeAll(async () => {
  azurite = await startAzurite({ inMemory: true });
  process.env.AzureWebJobsStorage = azurite.connectionString;
});

afterAll(async () => {
  for (const h of hosts) await h.close();
  await azurite?.stop();
  if (process.env.DUMP_HOST_LOGS) console.log(logs.join('\n'));
});

const POLL = { timeout: 45_000, interval: 100 };

it('resumes an instance after the host is killed mid-run, without repeating completed activities', async () => {
  const first = await startHost(options());
  hosts.push(first);
  const started = await fetch(`${first.url}/api/start/steps/resumable`, { method: 'POST' });
  expect(started.status).toBe(202);

  // Step 1 has completed and step 2 is running when the host dies.
  await fixture.gates.step2Started.opened;
  expect(fixture.runs.step1).toBe(1);
  await first.abort();
  // What the dead host's step 2 returns now is never stored.
  fixture.gates.step2.open();

  const second = await startHost(options());
  hosts.push(second);
  const status = async (): Promise<any> => (await fetch(`${second.url}/api/instances/resumable`)).json();
  await expect.poll(async () => (await status()).runtimeStatus, POLL).toBe('Completed');
  expect((await status()).output).toEqual([10, 20, 30]);
  expect(fixture.runs).toMatchObject({ step1: 1, step2: 2, step3: 1 });
});

it('fires a durable timer that a killed host had set, from the next host', async () => {
  const first = await startHost(options());
  hosts.push(first);
  const started = await fetch(`${first.url}/api/start/napper/sleeper`, { method: 'POST', body: '1000' });
  expect(started.status).toBe(202);
  await expect
    .poll(async () => (await (await fetch(`${first.url}/api/instances/sleeper`)).json()).customStatus, POLL)
    .toBe('sleeping');
  await first.abort();

  const second = await startHost(options());
  hosts.push(second);
  const status = async (): Promise<any> => (await fetch(`${second.url}/api/instances/sleeper`)).json();
  await expect.poll(async () => (await status()).runtimeStatus, POLL).toBe('Completed');
  expect((await status()).customStatus).toBe('awake');
});
