/**
 * The extension's side of an orchestrator episode. durable-functions replays the user's generator
 * and returns every action it has yielded so far (`OrchestratorState.actions`); the Durable
 * extension then "replays" those actions onto a Durable Task Framework context, one after the
 * other, each awaited before the next (OutOfProcOrchestrationShim, schema V2/V3), while DTFx walks
 * the history: a scheduling event in history whose sequence number the actions did not produce
 * (or produced as something else) is a non-deterministic orchestrator, and every action the
 * history does not know yet is a new decision to carry out. Retries (callActivityWithRetry) are
 * the extension's: attempt, then a retry timer, then the next attempt, with DTFx's back-off rules.
 *
 * This module is that part, in miniature: pure, no storage, no I/O.
 */
import { EventType, parseJsonText, type HistoryEvent } from './history';

export type Decision =
  | { kind: 'activity'; id: number; name: string; input: unknown }
  | { kind: 'timer'; id: number; fireAt: Date }
  | { kind: 'subOrchestration'; id: number; name: string; instanceId: string; input: unknown };

export interface ReplayOptions {
  /** The instance's execution id (names sub-orchestrations started without an id, as DTFx does). */
  executionId: string;
  instanceId: string;
  /** Whether a function of that kind is registered (the extension refuses unknown names). */
  exists(kind: 'activity' | 'orchestrator', name: string): boolean;
}

export interface ReplayResult {
  /** New work, in sequence order. */
  decisions: Decision[];
  /** Set when the orchestrator called continueAsNew (with its input, as JSON-able data). */
  continueAsNew?: { input: unknown };
  /** Non-determinism or an action the extension refuses: the orchestration fails with this. */
  failure?: { nonDeterministic: boolean; message: string };
}

/** An action as durable-functions serializes it (actionType numbers as in its ActionType enum). */
interface Action {
  actionType: number;
  functionName?: string;
  input?: unknown;
  retryOptions?: RetryOptionsJson;
  instanceId?: string;
  fireAt?: string;
  isCanceled?: boolean;
  externalEventName?: string;
  compoundActions?: Action[];
}

interface RetryOptionsJson {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  ScheduledSignalEntity: 10,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

const UNSUPPORTED: Record<number, string> = {
  [ActionType.CallEntity]: 'callEntity',
  [ActionType.SignalEntity]: 'signalEntity',
  [ActionType.ScheduledSignalEntity]: 'signalEntity',
  [ActionType.LockEntities]: 'lock',
  [ActionType.ReleaseEntities]: 'lock release',
  [ActionType.CallHttp]: 'callHttp',
};

/** DTFx's RetryOptions defaults, as the extension builds them from the JSON (RetryOptionsConverter). */
const DEFAULT_MAX_RETRY_INTERVAL_MS = 6 * 24 * 3600 * 1000;

type Outcome = { ok: true } | { ok: false };

/** A minimal synchronous future: continuations run as soon as it settles, in registration order. */
class Fut {
  outcome: Outcome | undefined;
  #listeners: (() => void)[] = [];

  settle(outcome: Outcome): void {
    if (this.outcome) return;
    this.outcome = outcome;
    const listeners = this.#listeners;
    this.#listeners = [];
    for (const l of listeners) l();
  }

  then(listener: () => void): void {
    if (this.outcome) listener();
    else this.#listeners.push(listener);
  }

  static settled(outcome: Outcome): Fut {
    const f = new Fut();
    f.settle(outcome);
    return f;
  }
}

class ReplayError extends Error {
  constructor(
    message: string,
    readonly nonDeterministic: boolean,
  ) {
    super(message);
  }
}

type Scheduled =
  | { kind: 'activity'; name: string; input: unknown }
  | { kind: 'timer'; fireAt: Date }
  | { kind: 'subOrchestration'; name: string; instanceId: string; input: unknown };

const describeScheduled = (s: Scheduled): string =>
  s.kind === 'timer'
    ? 'a timer'
    : s.kind === 'activity'
      ? `activity '${s.name}'`
      : `sub-orchestration '${s.name}'`;

class Replayer {
  #seq = 0;
  readonly #scheduled = new Map<number, Scheduled>();
  readonly #known = new Set<number>();
  readonly #pending = new Map<number, Fut>();
  readonly #waiters = new Map<string, Fut[]>();
  readonly #buffered = new Map<string, number>();
  #now: Date;
  continueAsNew: { input: unknown } | undefined;

  constructor(
    readonly options: ReplayOptions,
    start: Date,
  ) {
    this.#now = start;
  }

  #schedule(s: Scheduled): Fut {
    const id = this.#seq++;
    this.#scheduled.set(id, s);
    const fut = new Fut();
    this.#pending.set(id, fut);
    return fut;
  }

  /** What the extension does with one action; the returned future settles when DTFx's task would. */
  invoke(action: Action): Fut {
    switch (action.actionType) {
      case ActionType.CallActivity:
        return this.#activity(action);
      case ActionType.CallActivityWithRetry:
        return this.#withRetry(action, () => this.#activity(action));
      case ActionType.CallSubOrchestrator:
        return this.#subOrchestration(action);
      case ActionType.CallSubOrchestratorWithRetry:
        return this.#withRetry(action, () => this.#subOrchestration(action));
      case ActionType.CreateTimer: {
        const fireAt = new Date(String(action.fireAt));
        if (Number.isNaN(fireAt.getTime()))
          throw new ReplayError(`Invalid timer fireAt "${action.fireAt}"`, false);
        const fut = this.#schedule({ kind: 'timer', fireAt });
        // A cancelled timer is still created; the await just ends (DTFx: TaskCanceledException).
        return action.isCanceled ? Fut.settled({ ok: false }) : fut;
      }
      case ActionType.WaitForExternalEvent: {
        const name = String(action.externalEventName);
        const buffered = this.#buffered.get(name) ?? 0;
        if (buffered > 0) {
          this.#buffered.set(name, buffered - 1);
          return Fut.settled({ ok: true });
        }
        const fut = new Fut();
        this.#waiters.set(name, [...(this.#waiters.get(name) ?? []), fut]);
        return fut;
      }
      case ActionType.ContinueAsNew:
        this.continueAsNew = { input: action.input };
        return Fut.settled({ ok: true });
      case ActionType.WhenAll:
      case ActionType.WhenAny: {
        const children = (action.compoundActions ?? []).map((a) => this.invoke(a));
        const all = action.actionType === ActionType.WhenAll;
        const fut = new Fut();
        if (children.length === 0) fut.settle({ ok: true });
        for (const child of children) {
          child.then(() => {
            if (!all || children.every((c) => c.outcome)) fut.settle({ ok: true });
          });
        }
        return fut;
      }
      default: {
        const what = UNSUPPORTED[action.actionType];
        throw new ReplayError(
          what
            ? `${what} is not supported by the local host (Durable entities and durable HTTP are not emulated)`
            : `Received an unexpected action type from the out-of-proc function: '${action.actionType}'.`,
          false,
        );
      }
    }
  }

  #requireFunction(kind: 'activity' | 'orchestrator', name: unknown): string {
    const fn = typeof name === 'string' ? name : '';
    if (!this.options.exists(kind, fn)) {
      throw new ReplayError(
        `The function '${fn}' doesn't exist, is disabled, or is not an ${kind} function.`,
        false,
      );
    }
    return fn;
  }

  #activity(action: Action): Fut {
    const name = this.#requireFunction('activity', action.functionName);
    return this.#schedule({ kind: 'activity', name, input: action.input });
  }

  #subOrchestration(action: Action): Fut {
    const name = this.#requireFunction('orchestrator', action.functionName);
    const explicit =
      typeof action.instanceId === 'string' && action.instanceId !== '' ? action.instanceId : undefined;
    if (explicit?.toLowerCase() === this.options.instanceId.toLowerCase()) {
      throw new ReplayError(
        'The instance ID of a sub-orchestration must be different than the instance ID of a parent orchestration.',
        false,
      );
    }
    // DTFx names an unnamed sub-orchestration after the parent's execution and the task's sequence number.
    const instanceId = explicit ?? `${this.options.executionId}:${this.#seq}`;
    return this.#schedule({ kind: 'subOrchestration', name, instanceId, input: action.input });
  }

  /** DTFx's RetryInterceptor: attempt; on failure wait the back-off on a durable timer; again. */
  #withRetry(action: Action, attempt: () => Fut): Fut {
    const opts = action.retryOptions;
    if (
      !opts ||
      typeof opts.firstRetryIntervalInMilliseconds !== 'number' ||
      typeof opts.maxNumberOfAttempts !== 'number'
    ) {
      throw new ReplayError(
        'Invalid retryOptions: firstRetryIntervalInMilliseconds and maxNumberOfAttempts are required',
        false,
      );
    }
    const result = new Fut();
    const firstAttempt = this.#now.getTime();
    const loop = (retryCount: number): void => {
      if (retryCount >= opts.maxNumberOfAttempts) {
        result.settle({ ok: false });
        return;
      }
      const call = attempt();
      call.then(() => {
        if (call.outcome?.ok) {
          result.settle({ ok: true });
          return;
        }
        const delay = this.#nextDelay(opts, retryCount, firstAttempt);
        if (delay <= 0) {
          result.settle({ ok: false });
          return;
        }
        const timer = this.#schedule({ kind: 'timer', fireAt: new Date(this.#now.getTime() + delay) });
        timer.then(() => loop(retryCount + 1));
      });
    };
    loop(0);
    return result;
  }

  #nextDelay(opts: RetryOptionsJson, retryCount: number, firstAttempt: number): number {
    const timeout = opts.retryTimeoutInMilliseconds;
    if (timeout !== undefined && this.#now.getTime() >= firstAttempt + timeout) return 0;
    const delay = opts.firstRetryIntervalInMilliseconds * Math.pow(opts.backoffCoefficient ?? 1, retryCount);
    const max = opts.maxRetryIntervalInMilliseconds ?? DEFAULT_MAX_RETRY_INTERVAL_MS;
    return delay < max ? delay : max;
  }

  /** The actions list, each action awaited before the next (schema V2/V3). */
  runSequence(actions: Action[], from = 0): void {
    if (from >= actions.length) return;
    const fut = this.invoke(actions[from]!);
    fut.then(() => this.runSequence(actions, from + 1));
  }

  #verify(event: HistoryEvent, expected: Scheduled['kind']): void {
    const id = event.EventId;
    const scheduled = this.#scheduled.get(id);
    const what =
      expected === 'timer' ? 'a timer' : expected === 'activity' ? `an activity task` : 'a sub-orchestration';
    const named = expected === 'timer' ? '' : ` and name '${event.Name}'`;
    if (!scheduled) {
      throw new ReplayError(
        `A previous execution of this orchestration scheduled ${what} with sequence ID ${id}${named}, but the ` +
          `current replay execution hasn't (yet?) scheduled this task. Was a change made to the orchestrator ` +
          `code after this instance had already started running?`,
        true,
      );
    }
    const sameName = scheduled.kind === 'timer' || scheduled.name === event.Name;
    if (scheduled.kind !== expected || !sameName) {
      throw new ReplayError(
        `A previous execution of this orchestration scheduled ${what} with sequence ID ${id}${named}, but the ` +
          `current replay execution instead scheduled ${describeScheduled(scheduled)}. Was a change made to the ` +
          `orchestrator code after this instance had already started running?`,
        true,
      );
    }
    this.#known.add(id);
  }

  #complete(id: number | undefined, ok: boolean): void {
    if (id === undefined) return;
    const fut = this.#pending.get(id);
    if (!fut) return; // e.g. a duplicate delivery; DTFx ignores it too
    this.#pending.delete(id);
    fut.settle({ ok });
  }

  /** Walks the history, as DTFx does after the orchestrator code has produced its first actions. */
  walk(history: readonly HistoryEvent[], start: () => void): void {
    let started = false;
    for (const event of history) {
      switch (event.EventType) {
        case EventType.OrchestratorStarted: {
          const at = new Date(event.Timestamp);
          if (at > this.#now) this.#now = at;
          break;
        }
        case EventType.ExecutionStarted:
          if (!started) {
            started = true;
            start();
          }
          break;
        case EventType.TaskScheduled:
          this.#verify(event, 'activity');
          break;
        case EventType.TimerCreated:
          this.#verify(event, 'timer');
          break;
        case EventType.SubOrchestrationInstanceCreated:
          this.#verify(event, 'subOrchestration');
          break;
        case EventType.TaskCompleted:
        case EventType.SubOrchestrationInstanceCompleted:
          this.#complete(event.TaskScheduledId, true);
          break;
        case EventType.TaskFailed:
        case EventType.SubOrchestrationInstanceFailed:
          this.#complete(event.TaskScheduledId, false);
          break;
        case EventType.TimerFired:
          this.#complete(event.TimerId, true);
          break;
        case EventType.EventRaised: {
          const name = String(event.Name);
          const waiters = this.#waiters.get(name);
          const waiter = waiters?.shift();
          if (waiter) waiter.settle({ ok: true });
          else this.#buffered.set(name, (this.#buffered.get(name) ?? 0) + 1);
          break;
        }
        default:
          break;
      }
    }
    if (!started) start();
  }

  decisions(): Decision[] {
    const out: Decision[] = [];
    for (const [id, s] of [...this.#scheduled].sort(([a], [b]) => a - b)) {
      if (this.#known.has(id)) continue;
      out.push({ id, ...s });
    }
    return out;
  }
}

/**
 * Replays `actions` (the orchestrator's OrchestratorState.actions, as JSON) against `history`
 * (every event including this episode's new ones) and says what is new.
 */
export function replayActions(
  actions: unknown,
  schemaVersion: number,
  history: readonly HistoryEvent[],
  options: ReplayOptions,
): ReplayResult {
  const firstStart = history.find((e) => e.EventType === EventType.OrchestratorStarted);
  const replayer = new Replayer(options, new Date(firstStart?.Timestamp ?? Date.now()));
  const sets = Array.isArray(actions)
    ? (actions as unknown[]).map((s) => (Array.isArray(s) ? (s as Action[]) : []))
    : [];
  try {
    replayer.walk(history, () => {
      // The host offers schema V3 (upperSchemaVersionNew), which durable-functions 3 always takes.
      if (schemaVersion < 1) {
        throw new ReplayError(
          `The out-of-proc schema ${schemaVersion} (V1) is not supported by the local host`,
          false,
        );
      }
      if (sets.length > 1) {
        throw new ReplayError(
          `With OOProc schema ${schemaVersion}, expected actions array to be of length 1 in outer layer but got size: ${sets.length}`,
          false,
        );
      }
      replayer.runSequence(sets[0] ?? []);
    });
  } catch (err) {
    if (err instanceof ReplayError) {
      return { decisions: [], failure: { nonDeterministic: err.nonDeterministic, message: err.message } };
    }
    throw err;
  }
  return { decisions: replayer.decisions(), continueAsNew: replayer.continueAsNew };
}

/** An activity's input as its trigger receives it: durable-functions JSON-encodes string inputs. */
export function activityInput(input: unknown): unknown {
  return typeof input === 'string' ? parseJsonText(input) : (input ?? undefined);
}
