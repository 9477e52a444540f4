/**
 * The local stand-in for the Durable extension's runtime: runs orchestrator episodes (load the
 * instance's history, hand it to the registered orchestrator function, replay its actions against
 * the history, commit what is new) and activities (bounded concurrency, leased work items), all
 * kept in the storage account (see store.ts) so a host killed mid-run is resumed by the next one
 * without repeating what was committed.
 *
 * An episode commits in this order: history rows past the committed length, then the instance
 * row (new status, new history length, and an outbox of what the episode hands out), then the
 * outbox is dispatched (work items, timers, sub-orchestrations, the parent's completion,
 * consumed messages deleted) and cleared. A crash before the instance row is written loses
 * nothing (the episode runs again); a crash after it is repaired by the next episode, which
 * dispatches the outbox again (idempotently) before anything else.
 */
import { randomUUID } from 'node:crypto';
import type { Registration } from '../core-shim';
import type { DurableSettings } from '../host-config';
import { describeError, errorDetail, InvocationError, type Invoker, type LogFn } from '../invoke';
import { Limiter, TaskSet } from '../limiter';
import { EventType, eventTypeName, events, parseJsonText, toJsonText, type HistoryEvent } from './history';
import { activityInput, replayActions, type Decision } from './replay';
import {
  DurableStore,
  RUNNING,
  TERMINAL,
  type InboxMessage,
  type InstanceRecord,
  type InstanceState,
  type Outbox,
  type RuntimeStatus,
  type WorkItem,
} from './store';

const OUT_OF_PROC_DATA = '\n\n$OutOfProcData$:';
/** The extension refuses custom status bigger than this (UTF-16 size of its JSON). */
const MAX_CUSTOM_STATUS_BYTES = 16 * 1024;
const MAX_INSTANCE_ID_LENGTH = 256;

/** What the client API reports for a request it refuses (mapped to HTTP by the API). */
export class DurableApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly exceptionType = 'System.ArgumentException',
  ) {
    super(message);
  }
}

export interface StatusQuery {
  showHistory?: boolean;
  showHistoryOutput?: boolean;
  showInput?: boolean;
}

export interface InstanceFilter {
  createdTimeFrom?: Date;
  createdTimeTo?: Date;
  runtimeStatus?: string[];
  instanceIdPrefix?: string;
}

/** The extension's StatusResponsePayload. */
export interface StatusPayload {
  name: string;
  instanceId: string;
  runtimeStatus: RuntimeStatus;
  input: unknown;
  customStatus: unknown;
  output: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  historyEvents?: unknown[];
}

/** The orchestrator function's return value (durable-functions' OrchestratorState), as JSON. */
interface OrchestratorStateJson {
  isDone?: boolean;
  actions?: unknown;
  output?: unknown;
  error?: string;
  customStatus?: unknown;
  schemaVersion?: number;
}

const newId = (): string => randomUUID().replace(/-/g, '');
const pad = (n: number): string => String(n).padStart(10, '0');
/** DateTime.ToString("s") + "Z", as the extension formats status times. */
const statusTime = (iso: string): string => `${iso.slice(0, 19)}Z`;

export const completionKey = (executionId: string, taskId: number): string =>
  `${executionId}~c~${pad(taskId)}`;
const timerKey = (executionId: string, taskId: number): string => `${executionId}~t~${pad(taskId)}`;
const startKey = (executionId: string): string => `${executionId}~start`;

export function validateInstanceId(instanceId: string): void {
  if (instanceId.startsWith('@')) {
    throw new DurableApiError(400, 'Orchestration instance ids must not start with @.');
  }
  // eslint-disable-next-line no-control-regex
  if (/[/\\?#\u0000-\u001f\u007f-\u009f]/.test(instanceId)) {
    throw new DurableApiError(
      400,
      'Orchestration instance ids must not contain /, \\, #, ?, or control characters.',
    );
  }
  if (instanceId.length > MAX_INSTANCE_ID_LENGTH) {
    throw new DurableApiError(
      400,
      `Instance ID lengths must not exceed ${MAX_INSTANCE_ID_LENGTH} characters.`,
    );
  }
}

function failureDetails(err: unknown): { message: string; details: string } {
  const error = err instanceof Error ? err : new Error(String(err));
  const details = JSON.stringify({
    $type: 'System.Exception',
    ClassName: error.name || 'Error',
    Message: error.message,
    StackTraceString: error.stack ?? null,
  });
  return { message: error.message, details };
}

export class DurableEngine {
  readonly owner = randomUUID();
  readonly #stopper = new AbortController();
  readonly #tasks = new TaskSet();
  readonly #episodes: Limiter;
  readonly #activityLimiter: Limiter;
  /** Instances with an episode queued or running here. */
  readonly #activeInstances = new Set<string>();
  readonly #activeWork = new Set<string>();
  /** Instances whose last episode failed (storage trouble): not retried before `at`. */
  readonly #backoff = new Map<string, { at: number; failures: number }>();
  #wakeOrchestrations: (() => void) | undefined;
  #wakeActivities: (() => void) | undefined;
  #loops: Promise<void>[] = [];
  #dead = false;

  constructor(
    readonly store: DurableStore,
    readonly settings: DurableSettings,
    readonly invoker: Invoker,
    readonly log: LogFn,
    readonly orchestrators: ReadonlyMap<string, Registration>,
    readonly activities: ReadonlyMap<string, Registration>,
  ) {
    this.#episodes = new Limiter(settings.maxConcurrentOrchestratorFunctions);
    this.#activityLimiter = new Limiter(settings.maxConcurrentActivityFunctions);
  }

  get #stopped(): boolean {
    return this.#stopper.signal.aborted;
  }

  start(): void {
    if (this.#loops.length > 0) return;
    this.#loops = [this.#orchestrationLoop(), this.#activityLoop()];
  }

  async stop(): Promise<void> {
    this.#stopper.abort();
    this.#wake();
    await Promise.all(this.#loops);
    await this.#tasks.settled();
  }

  /** As a crash: nothing more is written, nothing running is waited for. */
  abort(): void {
    this.#dead = true;
    this.#stopper.abort();
    this.#wake();
  }

  #wake(): void {
    const o = this.#wakeOrchestrations;
    const a = this.#wakeActivities;
    this.#wakeOrchestrations = undefined;
    this.#wakeActivities = undefined;
    o?.();
    a?.();
  }

  #sleep(ms: number, which: 'orchestrations' | 'activities'): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#stopper.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.#stopper.signal.addEventListener('abort', done);
      if (which === 'orchestrations') this.#wakeOrchestrations = done;
      else this.#wakeActivities = done;
    });
  }

  #logLine(line: string): void {
    this.log(`[durable] ${line}`);
  }

  /** Throws when this host was aborted: a crashed host writes nothing. */
  #alive(): void {
    if (this.#dead) throw new AbortedError();
  }

  // ---- orchestrations -------------------------------------------------------------------------

  async #orchestrationLoop(): Promise<void> {
    while (!this.#stopped) {
      let wait = this.settings.pollIntervalMs;
      try {
        const { due, next } = await this.store.dueInstances(Date.now());
        if (next !== undefined) wait = Math.min(wait, Math.max(0, next - Date.now()));
        for (const instanceId of due) {
          if (this.#stopped) break;
          if (this.#activeInstances.has(instanceId)) continue;
          const backoff = this.#backoff.get(instanceId);
          if (backoff && backoff.at > Date.now()) continue;
          this.#activeInstances.add(instanceId);
          const task = this.#episodes
            .run(() => this.#episode(instanceId))
            .then(
              () => void this.#backoff.delete(instanceId),
              (err: unknown) => {
                if (err instanceof AbortedError) return;
                // Whatever went wrong (storage, a lost lock) is retried, more and more slowly.
                const failures = (backoff?.failures ?? 0) + 1;
                const delay = Math.min(30_000, 500 * 2 ** (failures - 1));
                this.#backoff.set(instanceId, { at: Date.now() + delay, failures });
                this.#logLine(
                  `episode of ${instanceId} failed (retrying in ${delay} ms): ${errorDetail(err)}`,
                );
              },
            )
            .finally(() => {
              this.#activeInstances.delete(instanceId);
              // Messages may have arrived meanwhile; look again now rather than at the next poll.
              this.#wake();
            });
          this.#tasks.add(task);
        }
      } catch (err) {
        if (this.#stopped) break;
        this.#logLine(`polling for orchestration work failed: ${describeError(err)}`);
      }
      if (this.#stopped) break;
      await this.#sleep(wait, 'orchestrations');
    }
  }

  async #episode(instanceId: string): Promise<void> {
    if (this.#stopped) return;
    const found = await this.store.getInstance(instanceId);
    const now = Date.now();
    if (!found) {
      // Purged (or never created): its messages have nobody to go to.
      this.#alive();
      for (const m of await this.store.dueMessages(instanceId, now)) {
        await this.store.deleteMessage(instanceId, m.key);
      }
      return;
    }
    if (found.lockOwner !== '' && found.lockOwner !== this.owner && found.lockUntil > now) return;
    this.#alive();
    let inst: InstanceRecord = { ...found, lockOwner: this.owner, lockUntil: now + this.settings.leaseMs };
    const claimed = await this.store.replaceInstance(inst, found.etag);
    if (!claimed) return;
    inst.etag = claimed;
    let released = false;
    try {
      if (inst.outbox) inst = await this.#finishOutbox(inst, inst.outbox, false);
      const messages = await this.store.dueMessages(instanceId, Date.now());
      if (messages.length > 0) {
        inst = await this.#process(inst, messages);
        released = true;
      }
    } finally {
      if (!released && !this.#dead) {
        await this.store.replaceInstance({ ...inst, lockOwner: '', lockUntil: 0 }, inst.etag);
      }
    }
  }

  /** Turns the due messages into this episode's new events, runs the orchestrator, commits. */
  async #process(inst: InstanceRecord, messages: InboxMessage[]): Promise<InstanceRecord> {
    const history = await this.store.loadHistory(inst.instanceId, inst.executionId, inst.historyLength);
    const completed = new Set<number>();
    for (const e of history) {
      if (e.TaskScheduledId !== undefined) completed.add(e.TaskScheduledId);
      if (e.TimerId !== undefined) completed.add(e.TimerId);
    }
    const at = new Date();
    const consumed: string[] = [];
    const fresh: HistoryEvent[] = [];
    let start = false;
    let terminate: InboxMessage | undefined;
    for (const m of messages) {
      consumed.push(m.key);
      if (m.kind === 'terminate') {
        terminate ??= m;
        continue;
      }
      if (m.executionId !== '' && m.executionId !== inst.executionId) continue; // an earlier execution's
      if (m.kind === 'start') {
        // This execution's start (a new instance, or the next execution after continueAsNew).
        start = history.length === 0;
        continue;
      }
      if (!m.event) continue;
      if (m.kind === 'completion' || m.kind === 'timer') {
        const id = m.event.TaskScheduledId ?? m.event.TimerId;
        if (id === undefined || completed.has(id)) continue; // redelivered
        completed.add(id);
      }
      fresh.push(m.kind === 'timer' ? { ...m.event, Timestamp: at.toISOString() } : m.event);
    }
    const outbox: Outbox = { consumed, activities: [], timers: [], subOrchestrations: [] };

    if (TERMINAL.has(inst.runtimeStatus)) return this.#commit(inst, inst, [], outbox);

    if (terminate) {
      const reason = terminate.reason ?? '';
      const terminated: InstanceState = {
        ...inst,
        runtimeStatus: 'Terminated',
        output: toJsonText(reason),
        lastUpdatedTime: at.toISOString(),
      };
      const tail = [
        events.orchestratorStarted(at),
        events.executionTerminated(at, toJsonText(reason)),
        events.orchestratorCompleted(at),
      ];
      if (inst.parent) {
        outbox.notifyParent = {
          parent: inst.parent,
          event: events.subOrchestrationFailed(
            at,
            inst.parent.taskId,
            `Orchestration '${inst.instanceId}' was terminated: ${reason}`,
            '',
          ),
        };
      }
      this.#logLine(`${inst.name} (${inst.instanceId}) terminated: ${reason}`);
      return this.#commit(inst, terminated, tail, outbox);
    }

    if (!start && (fresh.length === 0 || history.length === 0)) return this.#commit(inst, inst, [], outbox);

    const episode: HistoryEvent[] = [events.orchestratorStarted(at)];
    if (start) {
      episode.push(
        events.executionStarted(at, {
          name: inst.name,
          instanceId: inst.instanceId,
          executionId: inst.executionId,
          input: inst.input,
          parent: inst.parent ?? undefined,
        }),
      );
    }
    episode.push(...fresh);
    const all = [...history.map((e) => ({ ...e, IsPlayed: true })), ...episode];
    const next = await this.#runOrchestrator(inst, all, history.length > 0, at, outbox);
    return this.#commit(inst, next.state, [...episode, ...next.events], outbox);
  }

  /**
   * One call of the orchestrator function and what the extension makes of its answer: the new
   * instance state and the events that end the episode (decisions, completion).
   */
  async #runOrchestrator(
    inst: InstanceRecord,
    history: HistoryEvent[],
    isReplaying: boolean,
    at: Date,
    outbox: Outbox,
  ): Promise<{ state: InstanceState; events: HistoryEvent[] }> {
    const state: InstanceState = { ...inst, runtimeStatus: 'Running', lastUpdatedTime: at.toISOString() };
    const fail = (output: string, message: string): { state: InstanceState; events: HistoryEvent[] } => {
      this.#logLine(`${inst.name} (${inst.instanceId}) failed: ${message.split('\n')[0]?.trim()}`);
      state.runtimeStatus = 'Failed';
      state.output = toJsonText(output);
      if (inst.parent) {
        outbox.notifyParent = {
          parent: inst.parent,
          event: events.subOrchestrationFailed(
            at,
            inst.parent.taskId,
            `Orchestrator function '${inst.name}' failed: ${message}`,
            output,
          ),
        };
      }
      return {
        state,
        events: [events.orchestratorCompleted(at), events.executionCompleted(at, 'Failed', state.output)],
      };
    };

    const registration = this.orchestrators.get(inst.name.toLowerCase());
    if (!registration) {
      const message = `The function '${inst.name}' doesn't exist, is disabled, or is not an orchestrator function.`;
      return fail(`Orchestrator function '${inst.name}' failed: ${message}`, message);
    }
    const triggerInput = {
      history: JSON.parse(JSON.stringify(history)) as unknown,
      input: parseJsonText(inst.input),
      instanceId: inst.instanceId,
      isReplaying,
      parentInstanceId: inst.parent?.instanceId ?? null,
      upperSchemaVersion: 1,
      upperSchemaVersionNew: 2,
      longRunningTimerIntervalDuration: '3.00:00:00',
      maximumShortTimerDuration: '6.00:00:00',
      defaultHttpAsyncRequestSleepTimeMillseconds: 30_000,
    };

    let result: OrchestratorStateJson | undefined;
    let thrown: { message: string; stack: string } | undefined;
    try {
      const invoked = await this.invoker.invoke(registration, triggerInput);
      result = JSON.parse(JSON.stringify(invoked.result ?? null)) as OrchestratorStateJson | undefined;
    } catch (err) {
      const cause = err instanceof InvocationError ? err.cause : err;
      const text = cause instanceof Error ? cause.message : String(cause);
      const label = text.indexOf(OUT_OF_PROC_DATA);
      thrown = {
        message: label >= 0 ? text.slice(0, label) : text,
        stack: cause instanceof Error ? (cause.stack ?? '') : '',
      };
      if (label >= 0) {
        try {
          result = JSON.parse(text.slice(label + OUT_OF_PROC_DATA.length)) as OrchestratorStateJson;
        } catch {
          result = undefined;
        }
      }
    }
    this.#alive();
    if (!result || typeof result !== 'object') {
      const message = thrown?.message ?? 'the function did not return an orchestrator state';
      return fail(`Orchestrator function '${inst.name}' failed: ${message}`, message);
    }

    if (result.customStatus !== undefined && result.customStatus !== null) {
      const text = toJsonText(result.customStatus);
      if (text.length * 2 > MAX_CUSTOM_STATUS_BYTES) {
        const message = `The UTF-16 size of the JSON-serialized payload must not exceed 16 KB. The current payload size is ${Math.ceil((text.length * 2) / 1024)} KB.`;
        return fail(`Orchestrator function '${inst.name}' failed: ${message}`, message);
      }
      state.customStatus = text;
    }

    const replay = replayActions(result.actions, result.schemaVersion ?? 0, history, {
      executionId: inst.executionId,
      instanceId: inst.instanceId,
      exists: (kind, name) =>
        (kind === 'activity' ? this.activities : this.orchestrators).has(name.toLowerCase()),
    });
    if (replay.failure) {
      const output = replay.failure.nonDeterministic
        ? `Non-Deterministic workflow detected: ${replay.failure.message}`
        : `Orchestrator function '${inst.name}' failed: ${replay.failure.message}`;
      return fail(output, replay.failure.message);
    }
    const error = result.error ?? thrown?.message;
    if (error !== undefined) return fail(`Message: ${error}, StackTrace: ${thrown?.stack ?? ''}`, error);

    if (result.isDone && replay.continueAsNew) {
      const input = toJsonText(activityInput(replay.continueAsNew.input) ?? null);
      const executionId = newId();
      this.#logLine(`${inst.name} (${inst.instanceId}) continued as new (execution ${executionId})`);
      outbox.previousExecution = inst.executionId;
      outbox.startExecution = executionId;
      return {
        state: { ...state, runtimeStatus: 'Running', executionId, input, output: null, historyLength: 0 },
        events: [],
      };
    }
    if (result.isDone) {
      this.#logLine(`${inst.name} (${inst.instanceId}) completed`);
      state.runtimeStatus = 'Completed';
      state.output = toJsonText(result.output);
      if (inst.parent) {
        outbox.notifyParent = {
          parent: inst.parent,
          event: events.subOrchestrationCompleted(at, inst.parent.taskId, state.output),
        };
      }
      return {
        state,
        events: [events.orchestratorCompleted(at), events.executionCompleted(at, 'Completed', state.output)],
      };
    }

    const decided = replay.decisions.map((d) => this.#decide(d, at, outbox));
    return { state, events: [...decided, events.orchestratorCompleted(at)] };
  }

  #decide(d: Decision, at: Date, outbox: Outbox): HistoryEvent {
    switch (d.kind) {
      case 'activity': {
        const input = toJsonText(d.input ?? null);
        outbox.activities.push({ taskId: d.id, name: d.name, input });
        return events.taskScheduled(at, d.id, d.name, input);
      }
      case 'timer':
        outbox.timers.push({ taskId: d.id, fireAt: d.fireAt.toISOString() });
        return events.timerCreated(at, d.id, d.fireAt);
      case 'subOrchestration': {
        const input = d.input === undefined ? null : toJsonText(d.input);
        outbox.subOrchestrations.push({ taskId: d.id, name: d.name, instanceId: d.instanceId, input });
        return events.subOrchestrationCreated(at, d.id, d.name, d.instanceId, input);
      }
    }
  }

  /** Writes the episode (history, then the instance row with its outbox), then hands the outbox out. */
  async #commit(
    before: InstanceRecord,
    after: InstanceState,
    newEvents: HistoryEvent[],
    outbox: Outbox,
  ): Promise<InstanceRecord> {
    this.#alive();
    const sameExecution = after.executionId === before.executionId;
    const from = before.historyLength;
    if (newEvents.length > 0)
      await this.store.appendHistory(before.instanceId, before.executionId, from, newEvents);
    const committed: InstanceState = {
      ...after,
      historyLength: sameExecution ? from + newEvents.length : 0,
      outbox,
      lockOwner: this.owner,
      lockUntil: Date.now() + this.settings.leaseMs,
    };
    this.#alive();
    const etag = await this.store.replaceInstance(committed, before.etag);
    if (!etag) throw new Error(`lost the lock on ${before.instanceId} while running an episode`);
    return this.#finishOutbox({ ...committed, etag }, outbox, true);
  }

  /** Hands out a committed episode's outbox (again, after a crash), clears it, releases the lock. */
  async #finishOutbox(inst: InstanceRecord, outbox: Outbox, release: boolean): Promise<InstanceRecord> {
    await this.#dispatch(inst, outbox);
    this.#alive();
    const cleared: InstanceState = {
      ...inst,
      outbox: null,
      lockOwner: release ? '' : inst.lockOwner,
      lockUntil: release ? 0 : inst.lockUntil,
    };
    const etag = await this.store.replaceInstance(cleared, inst.etag);
    if (!etag) throw new Error(`lost the lock on ${inst.instanceId} while handing out its work`);
    this.#wake();
    return { ...cleared, etag };
  }

  async #dispatch(inst: InstanceRecord, outbox: Outbox): Promise<void> {
    const { instanceId } = inst;
    // The execution the outbox's work belongs to (before a continue-as-new).
    const executionId = outbox.previousExecution ?? inst.executionId;
    for (const a of outbox.activities) {
      this.#alive();
      if (await this.store.getMessage(instanceId, completionKey(executionId, a.taskId))) continue; // ran already
      await this.store.createWork({
        instanceId,
        executionId,
        taskId: a.taskId,
        name: a.name,
        input: a.input,
      });
    }
    for (const t of outbox.timers) {
      this.#alive();
      const fireAt = new Date(t.fireAt);
      await this.store.putMessage({
        instanceId,
        key: timerKey(executionId, t.taskId),
        kind: 'timer',
        executionId,
        visibleAt: fireAt.getTime(),
        event: events.timerFired(fireAt, t.taskId, t.fireAt),
      });
    }
    for (const s of outbox.subOrchestrations) {
      this.#alive();
      await this.#startSubOrchestration(inst, executionId, s);
    }
    if (outbox.notifyParent) {
      this.#alive();
      const { parent, event } = outbox.notifyParent;
      await this.store.putMessage({
        instanceId: parent.instanceId,
        key: completionKey(parent.executionId, parent.taskId),
        kind: 'completion',
        executionId: parent.executionId,
        visibleAt: 0,
        event,
      });
    }
    if (outbox.startExecution) {
      this.#alive();
      await this.store.putMessage({
        instanceId,
        key: startKey(outbox.startExecution),
        kind: 'start',
        executionId: outbox.startExecution,
        visibleAt: 0,
        event: null,
      });
    }
    for (const key of outbox.consumed) {
      this.#alive();
      await this.store.deleteMessage(instanceId, key);
    }
    if (outbox.previousExecution) {
      await this.store.deleteHistory(instanceId, outbox.previousExecution).catch((err: unknown) => {
        this.#logLine(
          `could not delete the history of ${instanceId}'s previous execution: ${describeError(err)}`,
        );
      });
    }
  }

  async #startSubOrchestration(
    parent: InstanceRecord,
    parentExecutionId: string,
    s: Outbox['subOrchestrations'][number],
  ): Promise<void> {
    const ref = {
      name: parent.name,
      instanceId: parent.instanceId,
      executionId: parentExecutionId,
      taskId: s.taskId,
    };
    const failParent = async (reason: string): Promise<void> => {
      await this.store.putMessage({
        instanceId: parent.instanceId,
        key: completionKey(parentExecutionId, s.taskId),
        kind: 'completion',
        executionId: parentExecutionId,
        visibleAt: 0,
        event: events.subOrchestrationFailed(new Date(), s.taskId, reason, ''),
      });
    };
    for (let attempt = 0; attempt < 5; attempt++) {
      const existing = await this.store.getInstance(s.instanceId);
      const p = existing?.parent;
      if (
        p &&
        p.instanceId === ref.instanceId &&
        p.executionId === ref.executionId &&
        p.taskId === ref.taskId
      )
        return;
      if (existing && RUNNING.has(existing.runtimeStatus)) {
        await failParent(
          `An Orchestration instance with the status ${existing.runtimeStatus} already exists.`,
        );
        return;
      }
      const now = new Date().toISOString();
      const executionId = newId();
      const child: InstanceState = {
        instanceId: s.instanceId,
        name: s.name,
        executionId,
        runtimeStatus: 'Pending',
        input: s.input,
        output: null,
        customStatus: null,
        createdTime: now,
        lastUpdatedTime: now,
        historyLength: 0,
        parent: ref,
        outbox: null,
        lockOwner: '',
        lockUntil: 0,
      };
      const created = existing
        ? (await this.store.replaceInstance(child, existing.etag)) !== undefined
        : await this.store.createInstance(child);
      if (!created) continue;
      await this.store.putMessage({
        instanceId: s.instanceId,
        key: startKey(executionId),
        kind: 'start',
        executionId,
        visibleAt: 0,
        event: null,
      });
      return;
    }
    await failParent(`Could not create sub-orchestration ${s.instanceId}: it kept changing.`);
  }

  // ---- activities -----------------------------------------------------------------------------

  async #activityLoop(): Promise<void> {
    while (!this.#stopped) {
      try {
        const free = this.#activityLimiter.limit - this.#activeWork.size;
        if (free > 0) {
          const now = Date.now();
          for (const item of await this.store.availableWork(now, free + this.#activeWork.size)) {
            if (this.#stopped || this.#activeWork.size >= this.#activityLimiter.limit) break;
            if (this.#activeWork.has(item.key)) continue;
            const claimed = await this.store.leaseWork(item, this.owner, now + this.settings.leaseMs);
            if (!claimed) continue;
            this.#activeWork.add(claimed.key);
            const task = this.#activityLimiter
              .run(() => this.#runActivity(claimed))
              .catch((err: unknown) => {
                if (!(err instanceof AbortedError)) {
                  this.#logLine(
                    `activity ${claimed.name} (${claimed.instanceId}) could not be settled: ${errorDetail(err)}`,
                  );
                }
              })
              .finally(() => {
                this.#activeWork.delete(claimed.key);
                this.#wake();
              });
            this.#tasks.add(task);
          }
        }
      } catch (err) {
        if (this.#stopped) break;
        this.#logLine(`polling for activities failed: ${describeError(err)}`);
      }
      if (this.#stopped) break;
      await this.#sleep(this.settings.pollIntervalMs, 'activities');
    }
  }

  async #runActivity(claimed: WorkItem): Promise<void> {
    let lease = claimed;
    let renewing = Promise.resolve();
    const renewal = setInterval(
      () => {
        renewing = renewing
          .then(async () => {
            if (this.#dead) return;
            const renewed = await this.store.leaseWork(lease, this.owner, Date.now() + this.settings.leaseMs);
            if (renewed) lease = renewed;
          })
          .catch((err: unknown) =>
            this.#logLine(`could not renew the lease of ${claimed.name}: ${describeError(err)}`),
          );
      },
      Math.max(100, Math.floor(this.settings.leaseMs / 3)),
    );
    try {
      const { instanceId, executionId, taskId, name } = claimed;
      const key = completionKey(executionId, taskId);
      const inst = await this.store.getInstance(instanceId);
      if (
        !inst ||
        inst.executionId !== executionId ||
        TERMINAL.has(inst.runtimeStatus) ||
        (await this.store.getMessage(instanceId, key))
      ) {
        this.#alive();
        await this.store.deleteWork(claimed.key);
        return;
      }
      const at = (): Date => new Date();
      let event: HistoryEvent;
      const registration = this.activities.get(name.toLowerCase());
      if (!registration) {
        event = events.taskFailed(
          at(),
          taskId,
          `The function '${name}' doesn't exist, is disabled, or is not an activity function.`,
          '',
        );
      } else {
        try {
          const { result } = await this.invoker.invoke(
            registration,
            activityInput(parseJsonText(claimed.input)),
          );
          event = events.taskCompleted(at(), taskId, toJsonText(result));
        } catch (err) {
          const cause = err instanceof InvocationError ? err.cause : err;
          const { message, details } = failureDetails(cause);
          this.#logLine(`activity ${name} (${instanceId}, task ${taskId}) failed: ${message}`);
          event = events.taskFailed(at(), taskId, `Activity function '${name}' failed: ${message}`, details);
        }
      }
      this.#alive();
      await this.store.putMessage({ instanceId, key, kind: 'completion', executionId, visibleAt: 0, event });
      this.#alive();
      await this.store.deleteWork(claimed.key);
    } finally {
      clearInterval(renewal);
      await renewing;
    }
  }

  // ---- the client API -------------------------------------------------------------------------

  /** StartNewAsync: a new instance, or a refusal while one with that id is still running. */
  async startNew(name: string, instanceId: string | undefined, input: string | null): Promise<string> {
    const registration = this.orchestrators.get(name.toLowerCase());
    if (!registration) {
      const known = [...this.orchestrators.values()].map((r) => `'${r.name}'`).join(', ');
      throw new DurableApiError(
        400,
        `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function. Additional info: ` +
          (known
            ? `The following are the known orchestrator functions: ${known}.`
            : 'No orchestrator functions are currently registered!'),
      );
    }
    const id = instanceId === undefined || instanceId === '' ? newId() : instanceId;
    validateInstanceId(id);
    for (let attempt = 0; attempt < 5; attempt++) {
      const now = new Date().toISOString();
      const executionId = newId();
      const state: InstanceState = {
        instanceId: id,
        name: registration.name,
        executionId,
        runtimeStatus: 'Pending',
        input,
        output: null,
        customStatus: null,
        createdTime: now,
        lastUpdatedTime: now,
        historyLength: 0,
        parent: null,
        outbox: null,
        lockOwner: '',
        lockUntil: 0,
      };
      const existing = await this.store.getInstance(id);
      if (existing && RUNNING.has(existing.runtimeStatus)) {
        throw new DurableApiError(
          500,
          `An Orchestration instance with the status ${existing.runtimeStatus} already exists.`,
          'DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException',
        );
      }
      const written = existing
        ? (await this.store.replaceInstance(state, existing.etag)) !== undefined
        : await this.store.createInstance(state);
      if (!written) continue;
      if (existing) {
        void this.store.deleteHistory(id, existing.executionId).catch(() => undefined);
      }
      await this.store.putMessage({
        instanceId: id,
        key: startKey(executionId),
        kind: 'start',
        executionId,
        visibleAt: 0,
        event: null,
      });
      this.#logLine(`${registration.name} (${id}) scheduled`);
      this.#wake();
      return id;
    }
    throw new DurableApiError(
      409,
      `Instance ${id} kept changing while it was being started; try again.`,
      'System.InvalidOperationException',
    );
  }

  async status(instanceId: string, query: StatusQuery = {}): Promise<StatusPayload | undefined> {
    const inst = await this.store.getInstance(instanceId);
    if (!inst) return undefined;
    const payload = this.#payload(inst, query.showInput !== false);
    if (query.showHistory) {
      const history = await this.store.loadHistory(inst.instanceId, inst.executionId, inst.historyLength);
      payload.historyEvents = friendlyHistory(
        history,
        query.showInput !== false,
        query.showHistoryOutput === true,
      );
    }
    return payload;
  }

  #payload(inst: InstanceRecord, showInput: boolean): StatusPayload {
    return {
      name: inst.name,
      instanceId: inst.instanceId,
      runtimeStatus: inst.runtimeStatus,
      input: showInput ? parseJsonText(inst.input) : null,
      customStatus: parseJsonText(inst.customStatus),
      output: parseJsonText(inst.output),
      createdTime: statusTime(inst.createdTime),
      lastUpdatedTime: statusTime(inst.lastUpdatedTime),
    };
  }

  async list(filter: InstanceFilter, showInput: boolean): Promise<StatusPayload[]> {
    return (await this.#matching(filter)).map((i) => this.#payload(i, showInput));
  }

  async #matching(filter: InstanceFilter): Promise<InstanceRecord[]> {
    const statuses = new Set((filter.runtimeStatus ?? []).map((s) => s.toLowerCase()));
    return (await this.store.listInstances()).filter((i) => {
      const created = new Date(i.createdTime).getTime();
      if (filter.createdTimeFrom && created < filter.createdTimeFrom.getTime()) return false;
      if (filter.createdTimeTo && created > filter.createdTimeTo.getTime()) return false;
      if (statuses.size > 0 && !statuses.has(i.runtimeStatus.toLowerCase())) return false;
      if (filter.instanceIdPrefix && !i.instanceId.startsWith(filter.instanceIdPrefix)) return false;
      return true;
    });
  }

  /** 'missing' (404), 'gone' (410: the instance has finished) or 'accepted' (202). */
  async raiseEvent(
    instanceId: string,
    eventName: string,
    data: string | null,
  ): Promise<'missing' | 'gone' | 'accepted'> {
    const inst = await this.store.getInstance(instanceId);
    if (!inst) return 'missing';
    if (TERMINAL.has(inst.runtimeStatus)) return 'gone';
    const now = Date.now();
    await this.store.putMessage({
      instanceId,
      key: `e~${pad(now)}~${randomUUID()}`,
      kind: 'event',
      executionId: '',
      visibleAt: 0,
      event: events.eventRaised(new Date(now), eventName, data),
    });
    this.#wake();
    return 'accepted';
  }

  async terminate(instanceId: string, reason: string): Promise<'missing' | 'gone' | 'accepted'> {
    const inst = await this.store.getInstance(instanceId);
    if (!inst) return 'missing';
    if (TERMINAL.has(inst.runtimeStatus)) return 'gone';
    await this.store.putMessage({
      instanceId,
      key: `x~${randomUUID()}`,
      kind: 'terminate',
      executionId: '',
      visibleAt: 0,
      event: null,
      reason,
    });
    this.#wake();
    return 'accepted';
  }

  /** The number of instances deleted (0 when there was none). */
  async purge(instanceId: string): Promise<number> {
    if (!(await this.store.getInstance(instanceId))) return 0;
    await this.store.purge(instanceId);
    return 1;
  }

  async purgeBy(filter: InstanceFilter): Promise<number> {
    const matching = await this.#matching(filter);
    for (const inst of matching) await this.store.purge(inst.instanceId);
    return matching.length;
  }
}

class AbortedError extends Error {
  constructor() {
    super('the host was aborted');
  }
}

/**
 * The history as the status API shows it (`showHistory=true`), shaped as the extension shapes
 * it: EventType names, each TaskScheduled / SubOrchestrationInstanceCreated folded into the event
 * that completed it (FunctionName, ScheduledTime), no OrchestratorStarted/Completed, no EventId.
 */
function friendlyHistory(
  history: readonly HistoryEvent[],
  showInput: boolean,
  showOutput: boolean,
): unknown[] {
  const scheduled = new Map<string, { index: number; name?: string; at: string; input?: string | null }>();
  const drop = new Set<number>();
  const items = history.map((e, i) => {
    const item: Record<string, unknown> = { ...e, EventType: eventTypeName(e.EventType) };
    delete item.EventId;
    delete item.IsPlayed;
    switch (e.EventType) {
      case EventType.TaskScheduled:
      case EventType.SubOrchestrationInstanceCreated:
        scheduled.set(`${e.EventType}_${e.EventId}`, {
          index: i,
          name: e.Name,
          at: e.Timestamp,
          input: e.Input,
        });
        delete item.Version;
        break;
      case EventType.TaskCompleted:
      case EventType.TaskFailed:
      case EventType.SubOrchestrationInstanceCompleted:
      case EventType.SubOrchestrationInstanceFailed: {
        const from =
          e.EventType <= EventType.TaskFailed
            ? EventType.TaskScheduled
            : EventType.SubOrchestrationInstanceCreated;
        const origin = scheduled.get(`${from}_${e.TaskScheduledId}`);
        if (origin) {
          item.ScheduledTime = origin.at;
          item.FunctionName = origin.name;
          if (showInput) item.Input = origin.input;
          drop.add(origin.index);
        }
        delete item.TaskScheduledId;
        if (e.Result !== undefined) {
          if (showOutput) item.Result = parseJsonText(e.Result);
          else delete item.Result;
        }
        break;
      }
      case EventType.ExecutionStarted:
        item.FunctionName = e.Name;
        delete item.Name;
        delete item.OrchestrationInstance;
        delete item.ParentInstance;
        delete item.Version;
        break;
      case EventType.ExecutionCompleted:
        if (showOutput) item.Result = parseJsonText(e.Result);
        else delete item.Result;
        break;
      case EventType.TimerFired:
        delete item.TimerId;
        break;
      case EventType.OrchestratorStarted:
      case EventType.OrchestratorCompleted:
        drop.add(i);
        break;
      default:
        break;
    }
    if (!showInput) delete item.Input;
    return item;
  });
  return items.filter((_, i) => !drop.has(i));
}
