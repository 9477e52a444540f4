/**
 * Storage queue triggers, following the Functions queue listener's contract: poll with
 * exponential back-off while empty, run up to batchSize messages concurrently, delete on success,
 * make a failed message visible again after host.json `visibilityTimeout`, and move it to
 * `<queue>-poison` once it has been dequeued maxDequeueCount times.
 */
import { EventEmitter } from 'node:events';
import type { Registration } from './core-shim';
import { resolveAppSettings, type QueueSettings } from './host-config';
import { describeError, errorDetail, InvocationError } from './invoke';
import { startQueueThread, type QueueCalls, type QueueThread, type ReceivedMessage } from './queue-thread';
import { sleepUnlessAborted } from './sleep';
import { decodeQueueMessage, ensureQueue, resolveConnectionString } from './storage';
import type { HostContext, TriggerAdapter } from './triggers';

/** Messages stay invisible this long while a handler runs; renewed at half-time, like the host. */
const LEASE_SECONDS = 10 * 60;
const MIN_POLL_MS = 100;

export interface QueueEvent {
  functionName: string;
  queueName: string;
  messageId: string;
  dequeueCount: number;
  error?: unknown;
}

/** Events: 'processed' (handler succeeded, message deleted), 'failed' (will retry), 'poisoned'. */
export interface QueueMonitor {
  on(event: 'processed' | 'failed' | 'poisoned', listener: (e: QueueEvent) => void): this;
  off(event: 'processed' | 'failed' | 'poisoned', listener: (e: QueueEvent) => void): this;
  once(event: 'processed' | 'failed' | 'poisoned', listener: (e: QueueEvent) => void): this;
  /**
   * Resolves once every triggered queue is empty (counting invisible, retrying messages) and no
   * handler is running. Rejects after timeoutMs.
   */
  waitIdle(timeoutMs?: number): Promise<void>;
}

class QueuePoller {
  inFlight = 0;
  readonly #tasks = new Set<Promise<void>>();
  readonly #stopper = new AbortController();
  #slotFreed: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  readonly client: QueueCalls;
  readonly poison: QueueCalls;

  constructor(
    readonly registration: Registration,
    readonly queueName: string,
    readonly connectionString: string,
    readonly settings: QueueSettings,
    readonly host: HostContext,
    readonly events: EventEmitter,
    thread: QueueThread,
  ) {
    this.client = thread.queue(connectionString, queueName);
    this.poison = thread.queue(connectionString, `${queueName}-poison`);
  }

  async start(): Promise<void> {
    // Created on first use, as the Functions host does.
    await ensureQueue(this.connectionString, this.queueName);
    await ensureQueue(this.connectionString, `${this.queueName}-poison`);
    this.#loop = this.#run();
  }

  get stopped(): boolean {
    return this.#stopper.signal.aborted;
  }

  async stop(): Promise<void> {
    this.#stopper.abort();
    this.#slotFreed?.();
    await this.#loop;
    await Promise.allSettled([...this.#tasks]);
  }

  async isIdle(): Promise<boolean> {
    if (this.inFlight > 0) return false;
    return (await this.client.count()) === 0 && this.inFlight === 0;
  }

  #log(line: string): void {
    this.host.log(`[queue ${this.queueName}] ${line}`);
  }

  async #run(): Promise<void> {
    const { batchSize, maxPollingIntervalMs } = this.settings;
    let delay = 0;
    while (!this.stopped) {
      if (this.inFlight >= batchSize) {
        await new Promise<void>((resolve) => (this.#slotFreed = resolve));
        continue;
      }
      let messages: ReceivedMessage[];
      try {
        messages = await this.client.receive(
          Math.min(32, batchSize - this.inFlight),
          LEASE_SECONDS,
          this.#stopper.signal,
        );
      } catch (err) {
        if (this.stopped) break;
        this.#log(`receive failed (${describeError(err)}); retrying`);
        messages = [];
      }
      if (messages.length === 0) {
        delay = Math.min(delay === 0 ? MIN_POLL_MS : delay * 2, Math.max(MIN_POLL_MS, maxPollingIntervalMs));
        await sleepUnlessAborted(delay, this.#stopper.signal);
        continue;
      }
      delay = 0;
      for (const message of messages) {
        this.inFlight++;
        const task = this.#process(message).finally(() => {
          this.inFlight--;
          this.#tasks.delete(task);
          const wake = this.#slotFreed;
          this.#slotFreed = undefined;
          wake?.();
        });
        this.#tasks.add(task);
      }
    }
  }

  /** Never rejects: every outcome is logged and reported as an event. */
  async #process(message: ReceivedMessage): Promise<void> {
    const event: QueueEvent = {
      functionName: this.registration.name,
      queueName: this.queueName,
      messageId: message.messageId,
      dequeueCount: message.dequeueCount,
    };
    const lease = { popReceipt: message.popReceipt };
    const renewal = setInterval(
      () => {
        this.client
          .renew(message.messageId, lease.popReceipt, LEASE_SECONDS)
          .then((popReceipt) => {
            if (popReceipt) lease.popReceipt = popReceipt;
          })
          .catch((err: unknown) =>
            this.#log(`could not renew lease of ${message.messageId}: ${describeError(err)}`),
          );
      },
      (LEASE_SECONDS / 2) * 1000,
    );
    let failure: { error: unknown } | undefined;
    try {
      const decoded = decodeQueueMessage(message.messageText, this.settings.messageEncoding);
      if (decoded === undefined) {
        // The Functions host cannot decode it either; treat as failed so it ends in -poison.
        throw new Error(
          'message is not valid base64 (host.json messageEncoding is "base64"; encode messages when sending)',
        );
      }
      await this.host.invoker.invoke(this.registration, parseMessage(decoded), {
        triggerMetadata: {
          id: message.messageId,
          queueTrigger: decoded,
          dequeueCount: message.dequeueCount,
          expirationTime: message.expiresOn.toISOString(),
          insertionTime: message.insertedOn.toISOString(),
          nextVisibleTime: message.nextVisibleOn.toISOString(),
          popReceipt: message.popReceipt,
        },
      });
    } catch (err) {
      failure = { error: err instanceof InvocationError ? err.cause : err };
    } finally {
      clearInterval(renewal);
    }
    if (failure) {
      event.error = failure.error;
      await this.#handleFailure(message, lease.popReceipt, event);
      return;
    }
    try {
      await this.client.delete(message.messageId, lease.popReceipt);
      this.#emit('processed', event);
    } catch (err) {
      this.#log(`could not delete processed message ${message.messageId}: ${describeError(err)}`);
    }
  }

  #emit(name: 'processed' | 'failed' | 'poisoned', event: QueueEvent): void {
    try {
      this.events.emit(name, event);
    } catch (err) {
      this.#log(`a '${name}' listener threw: ${describeError(err)}`);
    }
  }

  async #handleFailure(message: ReceivedMessage, popReceipt: string, event: QueueEvent): Promise<void> {
    const { maxDequeueCount, visibilityTimeoutMs } = this.settings;
    try {
      if (message.dequeueCount >= maxDequeueCount) {
        this.#log(
          `${this.registration.name} failed on message ${message.messageId} (attempt ${message.dequeueCount}/${maxDequeueCount}); ` +
            `moving it to ${this.queueName}-poison: ${errorDetail(event.error)}`,
        );
        // The raw (still encoded) text, so the poison queue holds exactly what was sent.
        await this.poison.send(message.messageText);
        await this.client.delete(message.messageId, popReceipt);
        this.#emit('poisoned', event);
      } else {
        this.#log(
          `${this.registration.name} failed on message ${message.messageId} (attempt ${message.dequeueCount}/${maxDequeueCount}); ` +
            `retrying in ${visibilityTimeoutMs} ms: ${describeError(event.error)}`,
        );
        // The service only takes whole seconds; wait out any sub-second remainder here so short
        // test timings (e.g. 200 ms) are honoured rather than rounded up to a full second.
        const remainderMs = visibilityTimeoutMs % 1000;
        if (remainderMs > 0) await sleepUnlessAborted(remainderMs, this.#stopper.signal);
        await this.client.renew(message.messageId, popReceipt, Math.floor(visibilityTimeoutMs / 1000));
        this.#emit('failed', event);
      }
    } catch (err) {
      // e.g. the lease was lost; the message reappears by itself once its visibility expires.
      this.#log(`could not settle message ${message.messageId}: ${describeError(err)}`);
    }
  }
}

/** JSON payloads arrive parsed (objects, arrays, numbers…); anything else stays a string. */
function parseMessage(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export class QueueTriggerAdapter implements TriggerAdapter {
  readonly events = new EventEmitter();
  readonly #pollers: QueuePoller[] = [];
  #thread: QueueThread | undefined;

  constructor(private readonly overrides: Partial<QueueSettings> = {}) {}

  async start(registration: Registration, host: HostContext): Promise<void> {
    const settings: QueueSettings = { ...host.settings.queues, ...this.overrides };
    const queueName = resolveAppSettings(String(registration.trigger.queueName)).toLowerCase();
    const connectionString = resolveConnectionString(registration.trigger.connection);
    this.#thread ??= startQueueThread();
    const poller = new QueuePoller(
      registration,
      queueName,
      connectionString,
      settings,
      host,
      this.events,
      this.#thread,
    );
    await poller.start();
    this.#pollers.push(poller);
  }

  async stop(): Promise<void> {
    await Promise.all(this.#pollers.map((p) => p.stop()));
    await this.#thread?.close();
    this.#thread = undefined;
  }

  describe(registration: Registration): string {
    return `queue: ${String(registration.trigger.queueName)}`;
  }

  readonly monitor: QueueMonitor = this.#createMonitor();

  #createMonitor(): QueueMonitor {
    const events = this.events;
    const pollers = this.#pollers;
    const monitor: QueueMonitor = {
      on: (e, l) => (events.on(e, l), monitor),
      off: (e, l) => (events.off(e, l), monitor),
      once: (e, l) => (events.once(e, l), monitor),
      async waitIdle(timeoutMs = 30_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const states = await Promise.all(pollers.map((p) => p.isIdle()));
          if (states.every(Boolean)) return;
          if (Date.now() > deadline) throw new Error(`Queues not idle after ${timeoutMs} ms`);
          await new Promise((r) => setTimeout(r, 50));
        }
      },
    };
    return monitor;
  }
}
