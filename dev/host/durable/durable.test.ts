/**
 * Durable Functions on the local host, end to end: the fixture's orchestrations run through
 * durable-functions' real replay engine, the client is the real DurableClient (through HTTP
 * functions, as the app uses it), state lives in Azurite. No timing asserts: conditions are polled.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startAzurite, type AzuriteHandle } from '../azurite';
import { startHost, type LocalHost } from '../host';

// Polls below wait up to 45 s for a condition on a busy machine; give each test room for that.
vi.setConfig({ testTimeout: 90_000 });
type Fixture = typeof import('../fixtures/durable-app.js');

let azurite: AzuriteHandle;
let host: LocalHost;
let fixture: Fixture;
const logs: string[] = [];

beforeAll(async () => {
  azurite = await startAzurite({ inMemory: true });
  process.env.AzureWebJobsStorage = azurite.connectionString;
  host = await startHost({
    loadEntry: async () => {
      fixture = await import('../fixtures/durable-app.js');
    },
    port: 0,
    hostJsonPath: path.resolve(__dirname, '../../../host.json'),
    durable: { pollIntervalMs: 50, hubName: 'DurableTests', maxConcurrentActivityFunctions: 3 },
    log: (line) => logs.push(line),
  });
});

afterAll(async () => {
  await host?.close();
  await azurite?.stop();
  if (process.env.DUMP_HOST_LOGS) console.log(logs.join('\n'));
});

const POLL = { timeout: 45_000, interval: 100 };

async function start(name: string, input?: unknown, id?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${host.url}/api/start/${name}${id ? `/${id}` : ''}`, {
    method: 'POST',
    body: input === undefined ? undefined : JSON.stringify(input),
  });
  return { status: res.status, body: await res.json() };
}

async function startOk(name: string, input?: unknown, id?: string): Promise<string> {
  const { status, body } = await start(name, input, id);
  expect(status, JSON.stringify(body)).toBe(202);
  return body.id as string;
}

/** Through the app's HTTP function, i.e. DurableClient.getStatus. */
async function status(id: string): Promise<any> {
  const res = await fetch(`${host.url}/api/instances/${encodeURIComponent(id)}`);
  return res.json();
}

/**
 * Straight from the extension API: DurableClient.getStatus drops the history the API returns
 * (`historyEvents`; the client reads `history`), as in Azure.
 */
async function history(id: string): Promise<{ EventType: string; [k: string]: unknown }[]> {
  const res = await fetch(
    `${host.url}/runtime/webhooks/durabletask/instances/${encodeURIComponent(id)}?showHistory=true&showHistoryOutput=true`,
  );
  return ((await res.json()) as { historyEvents: { EventType: string }[] }).historyEvents;
}

async function settled(id: string): Promise<any> {
  await expect
    .poll(async () => (await status(id)).runtimeStatus, POLL)
    .toMatch(/^(Completed|Failed|Terminated)$/);
  return status(id);
}

describe('discovery', () => {
  it('runs orchestrations and activities from the same registrations, with their durable clients', () => {
    const byName = Object.fromEntries(host.functions.map((f) => [f.name, f]));
    expect(byName.fanOut).toMatchObject({ triggerType: 'orchestrationTrigger', problem: undefined });
    expect(byName.fanOut?.description).toContain('orchestration');
    expect(byName.double).toMatchObject({ triggerType: 'activityTrigger', problem: undefined });
    expect(byName.startInstance?.description).toBe('POST /api/start/{name}/{id?}');
    // The durable client input is supplied, so it is not reported as an ignored binding.
    expect(logs.some((l) => l.includes('not supported locally') && l.includes('durableClient'))).toBe(false);
    expect(host.durableHub).toBe('DurableTests');
  });

  it('answers the check-status links the client builds, under /runtime/webhooks/durabletask', async () => {
    const id = await startOk('fanOut', [1]);
    const res = await fetch(`${host.url}/runtime/webhooks/durabletask/instances/${id}?taskHub=DurableTests`);
    expect([200, 202]).toContain(res.status);
    expect(await res.json()).toMatchObject({ instanceId: id, name: 'fanOut' });
    await settled(id);
  });
});

describe('orchestrations', () => {
  it('fans out and in over activities (Task.all), each activity once', async () => {
    const before = fixture.runs.double ?? 0;
    const id = await startOk('fanOut', [1, 2, 3, 4, 5]);
    const done = await settled(id);
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output).toEqual({ doubled: [2, 4, 6, 8, 10], sum: 30 });
    expect(done.customStatus).toEqual({ phase: 'done' });
    expect((fixture.runs.double ?? 0) - before).toBe(5);
  });

  it('runs at most maxConcurrentActivityFunctions activities at once', async () => {
    const id = await startOk('crowd', 12);
    expect((await settled(id)).output).toBe(12);
    expect(fixture.concurrency.max).toBeGreaterThan(0);
    expect(fixture.concurrency.max).toBeLessThanOrEqual(3);
  });

  it('retries an activity with the declared options: fails twice, succeeds on the third attempt', async () => {
    const id = await startOk('withRetry', { key: 'twice', failTimes: 2, attempts: 3 });
    const done = await settled(id);
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output).toBe('twice ok on attempt 3');
    expect(fixture.runs['flaky:twice']).toBe(3);
    const events = await history(id);
    const attempts = events.filter((e) => e.FunctionName === 'flaky').map((e) => e.EventType);
    expect(attempts).toEqual(['TaskFailed', 'TaskFailed', 'TaskCompleted']);
    // firstRetryIntervalInMilliseconds 100, backoffCoefficient 2: the retry timers wait 100 then 200 ms.
    const waits = events
      .filter((e) => e.EventType === 'TimerCreated')
      .map((e) => new Date(String(e.FireAt)).getTime() - new Date(String(e.Timestamp)).getTime());
    expect(waits).toEqual([100, 200]);
  });

  it('fails the orchestration with the error once maxNumberOfAttempts is used up', async () => {
    const id = await startOk('withRetry', { key: 'always', failTimes: 10, attempts: 3 });
    const done = await settled(id);
    expect(done.runtimeStatus).toBe('Failed');
    expect(String(done.output)).toContain("Activity function 'flaky' failed: flaky failure 3 of always");
    expect(fixture.runs['flaky:always']).toBe(3);
  });

  it('waits on a durable timer', async () => {
    const id = await startOk('napper', 400);
    const done = await settled(id);
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.customStatus).toBe('awake');
    // The episode after the timer fired replays at a time at or after the timer's due time.
    expect(new Date(done.output.nowAfter).getTime()).toBeGreaterThanOrEqual(
      new Date(done.output.sleptUntil).getTime(),
    );
    const types = (await history(id)).map((e) => e.EventType);
    expect(types).toContain('TimerCreated');
    expect(types).toContain('TimerFired');
  });

  it('shows setCustomStatus through getStatus while running, and takes raised events', async () => {
    const id = await startOk('awaitsApproval');
    await expect.poll(async () => (await status(id)).customStatus, POLL).toBe('waiting for approval');
    expect((await status(id)).runtimeStatus).toBe('Running');
    const raised = await fetch(`${host.url}/api/instances/${id}/events/approval`, {
      method: 'POST',
      body: JSON.stringify({ by: 'ann' }),
    });
    expect(raised.status).toBe(202);
    const done = await settled(id);
    expect(done).toMatchObject({ runtimeStatus: 'Completed', output: 'approved by ann' });
  });

  it('runs sub-orchestrations', async () => {
    const id = await startOk('parent');
    const done = await settled(id);
    expect(done).toMatchObject({ runtimeStatus: 'Completed', output: 13 });
  });

  it('continues as new with the new input, history starting afresh', async () => {
    const id = await startOk('countToThree', 0);
    const done = await settled(id);
    expect(done).toMatchObject({ runtimeStatus: 'Completed', output: 'counted to 3', input: 3 });
    const events = await history(id);
    expect(events.filter((e) => e.EventType === 'ExecutionStarted')).toHaveLength(1);
  });

  it('hands activities their input as the worker does (a string stays a string)', async () => {
    const id = await startOk('echo', '123');
    expect((await settled(id)).output).toEqual({ received: '123', type: 'string' });
    const obj = await startOk('echo', { a: [1] });
    expect((await settled(obj)).output).toEqual({ received: { a: [1] }, type: 'object' });
  });

  it('fails a non-deterministic orchestrator, as Azure does', async () => {
    let calls = 0;
    // First run: heads (left); every replay: tails (right).
    fixture.entropy.next = () => (calls++ === 0 ? 0.1 : 0.9);
    try {
      const id = await startOk('coinFlip');
      const done = await settled(id);
      expect(done.runtimeStatus).toBe('Failed');
      expect(String(done.output)).toContain('Non-Deterministic workflow detected');
      expect(String(done.output)).toContain("name 'left'");
      expect(fixture.runs.right ?? 0).toBe(0);
    } finally {
      fixture.entropy.next = () => Math.random();
    }
  });
});

describe('management', () => {
  it('terminates a running instance', async () => {
    const id = await startOk('awaitsApproval', undefined, 'to-terminate');
    await expect.poll(async () => (await status(id)).runtimeStatus, POLL).toBe('Running');
    const res = await fetch(
      `${host.url}/api/instances/${id}/terminate?reason=${encodeURIComponent('not needed')}`,
      {
        method: 'POST',
      },
    );
    expect(res.status).toBe(202);
    const done = await settled(id);
    expect(done).toMatchObject({ runtimeStatus: 'Terminated', output: 'not needed' });
  });

  it('refuses to start an id that is running, then starts it anew once it has finished', async () => {
    const id = await startOk('awaitsApproval', undefined, 'only-once');
    await expect.poll(async () => (await status(id)).runtimeStatus, POLL).toBe('Running');
    const again = await start('awaitsApproval', undefined, 'only-once');
    expect(again.status).toBe(409);
    expect(again.body.error).toContain('status code: 500');
    expect(again.body.error).toContain('already exists');

    await fetch(`${host.url}/api/instances/${id}/events/approval`, {
      method: 'POST',
      body: JSON.stringify({ by: 'bo' }),
    });
    expect((await settled(id)).output).toBe('approved by bo');
    await startOk('fanOut', [7], 'only-once');
    const rerun = await settled('only-once');
    expect(rerun).toMatchObject({
      name: 'fanOut',
      runtimeStatus: 'Completed',
      output: { doubled: [14], sum: 14 },
    });
  });

  it('purges an instance and its history', async () => {
    const id = await startOk('fanOut', [1, 1]);
    await settled(id);
    const purged = await fetch(`${host.url}/api/instances/${id}`, { method: 'DELETE' });
    expect(await purged.json()).toEqual({ instancesDeleted: 1 });
    const gone = await fetch(`${host.url}/api/instances/${id}`);
    expect(gone.status).toBe(404);
    const again = await fetch(`${host.url}/api/instances/${id}`, { method: 'DELETE' });
    expect(await again.json()).toEqual({ instancesDeleted: 0 });
  });

  it('lists instances and reports an unknown orchestrator as the client does', async () => {
    const list = (await (await fetch(`${host.url}/api/instances`)).json()) as { name: string }[];
    expect(list.some((i) => i.name === 'fanOut')).toBe(true);
    const unknown = await start('noSuchOrchestrator');
    expect(unknown.status).toBe(409);
    expect(unknown.body.error).toContain('status code: 400');
    expect(unknown.body.error).toContain("The function 'noSuchOrchestrator' doesn't exist");
  });
});
