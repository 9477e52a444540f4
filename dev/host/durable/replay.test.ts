/**
 * The extension's side of replay in isolation: hand-built histories and the actions
 * durable-functions would return for them.
 */
import { describe, expect, it } from 'vitest';
import { events, type HistoryEvent } from './history';
import { replayActions, type ReplayOptions } from './replay';

const t0 = new Date('2026-01-01T00:00:00.000Z');
const at = (ms: number): Date => new Date(t0.getTime() + ms);
const opts: ReplayOptions = {
  executionId: 'exec',
  instanceId: 'inst',
  exists: (_kind, name) => name !== 'missing',
};
const started = (ms = 0): HistoryEvent[] => [
  events.orchestratorStarted(at(ms)),
  events.executionStarted(at(ms), { name: 'o', instanceId: 'inst', executionId: 'exec', input: null }),
];
const call = (name: string): unknown => ({ actionType: 0, functionName: name });
const withRetry = (name: string, retryOptions: object): unknown => ({
  actionType: 1,
  functionName: name,
  retryOptions,
});
const timer = (ms: number): unknown => ({ actionType: 5, fireAt: at(ms).toISOString(), isCanceled: false });
const all = (...actions: unknown[]): unknown => ({ actionType: 12, compoundActions: actions });

describe('replayActions', () => {
  it('schedules what the history does not know yet, in sequence order', () => {
    const r = replayActions([[all(call('a'), call('b'))]], 2, started(), opts);
    expect(r.failure).toBeUndefined();
    expect(r.decisions).toEqual([
      { kind: 'activity', id: 0, name: 'a', input: undefined },
      { kind: 'activity', id: 1, name: 'b', input: undefined },
    ]);
  });

  it('awaits each action before the next, so a later one is scheduled only once the earlier completed', () => {
    const history = [
      ...started(),
      events.taskScheduled(at(0), 0, 'a', null),
      events.orchestratorStarted(at(10)),
      events.taskCompleted(at(5), 0, '1'),
    ];
    const r = replayActions([[call('a'), call('b')]], 2, history, opts);
    expect(r.decisions).toEqual([{ kind: 'activity', id: 1, name: 'b', input: undefined }]);
  });

  it('detects a replay that scheduled something else at a sequence number', () => {
    const history = [...started(), events.taskScheduled(at(0), 0, 'a', null)];
    const r = replayActions([[call('b')]], 2, history, opts);
    expect(r.failure?.nonDeterministic).toBe(true);
    expect(r.failure?.message).toContain("sequence ID 0 and name 'a'");
    expect(replayActions([[timer(100)]], 2, history, opts).failure?.nonDeterministic).toBe(true);
  });

  it('detects a replay that no longer schedules what the history has', () => {
    const history = [...started(), events.taskScheduled(at(0), 0, 'a', null)];
    const r = replayActions([[]], 2, history, opts);
    expect(r.failure?.message).toContain("hasn't (yet?) scheduled this task");
  });

  it('retries with back-off timers from the replay time, and a timer after the last attempt', () => {
    const retry = { firstRetryIntervalInMilliseconds: 1000, maxNumberOfAttempts: 2, backoffCoefficient: 3 };
    const first = replayActions([[withRetry('a', retry)]], 2, started(), opts);
    expect(first.decisions).toEqual([{ kind: 'activity', id: 0, name: 'a', input: undefined }]);

    const failedOnce = [
      ...started(),
      events.taskScheduled(at(0), 0, 'a', null),
      events.orchestratorStarted(at(50)),
      events.taskFailed(at(40), 0, 'boom', ''),
    ];
    expect(replayActions([[withRetry('a', retry)]], 2, failedOnce, opts).decisions).toEqual([
      { kind: 'timer', id: 1, fireAt: at(1050) },
    ]);

    const secondAttempt = [
      ...failedOnce,
      events.timerCreated(at(50), 1, at(1050)),
      events.orchestratorStarted(at(1100)),
      events.timerFired(at(1100), 1, at(1050).toISOString()),
    ];
    expect(replayActions([[withRetry('a', retry)]], 2, secondAttempt, opts).decisions).toEqual([
      { kind: 'activity', id: 2, name: 'a', input: undefined },
    ]);

    const failedTwice = [
      ...secondAttempt,
      events.taskScheduled(at(1100), 2, 'a', null),
      events.orchestratorStarted(at(1200)),
      events.taskFailed(at(1150), 2, 'boom', ''),
    ];
    // DTFx waits out the back-off once more before giving up (durable-functions expects that timer).
    expect(replayActions([[withRetry('a', retry)]], 2, failedTwice, opts).decisions).toEqual([
      { kind: 'timer', id: 3, fireAt: at(4200) },
    ]);
  });

  it('stops retrying without a timer once retryTimeoutInMilliseconds has passed', () => {
    const retry = {
      firstRetryIntervalInMilliseconds: 100,
      maxNumberOfAttempts: 5,
      retryTimeoutInMilliseconds: 30,
    };
    const failed = [
      ...started(),
      events.taskScheduled(at(0), 0, 'a', null),
      events.orchestratorStarted(at(50)),
      events.taskFailed(at(40), 0, 'boom', ''),
    ];
    const r = replayActions([[withRetry('a', retry), call('after')]], 2, failed, opts);
    expect(r.decisions).toEqual([{ kind: 'activity', id: 1, name: 'after', input: undefined }]);
  });

  it('refuses unknown activities and unsupported actions, without calling them non-deterministic', () => {
    const missing = replayActions([[call('missing')]], 2, started(), opts);
    expect(missing.failure).toEqual({
      nonDeterministic: false,
      message: expect.stringContaining("The function 'missing' doesn't exist"),
    });
    const http = replayActions([[{ actionType: 8, httpRequest: {} }]], 2, started(), opts);
    expect(http.failure?.message).toContain('callHttp is not supported');
  });

  it('delivers raised events to waiters, buffering those that arrive first', () => {
    const history = [...started(), events.eventRaised(at(1), 'go', '1')];
    const r = replayActions([[{ actionType: 6, externalEventName: 'go' }, call('next')]], 2, history, opts);
    expect(r.decisions).toEqual([{ kind: 'activity', id: 0, name: 'next', input: undefined }]);
  });
});
