import { Worker } from 'node:worker_threads';

/**
 * The queue listener's storage calls, made from a worker thread. In Azure the Functions host, a
 * process of its own, receives, renews and deletes queue messages; only the handler runs in the
 * app's Node worker. Here the local host did that storage work on the app's event loop too,
 * where the storage SDK's request pipeline and XML parsing cost about 2 ms of it per message
 * (receive and delete; measured against Azurite), beside the ~18 ms a whole reply costs at 100
 * streams. The worker owns the SDK clients; the poller's logic stays on the main thread.
 *
 * The worker's code is a function turned into source, as in shared/db/pglite-thread.ts: the
 * tests run the TypeScript sources, which a worker thread cannot load.
 */
function workerMain(): void {
  /* eslint-disable @typescript-eslint/no-require-imports -- no imports in a worker made from source */
  const threads = require('node:worker_threads') as typeof import('node:worker_threads');
  const { createRequire } = require('node:module') as typeof import('node:module');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const { resolveFrom } = threads.workerData as { resolveFrom: string };
  const { QueueServiceClient } = createRequire(resolveFrom)(
    '@azure/storage-queue',
  ) as typeof import('@azure/storage-queue');
  const port = threads.parentPort!;
  const services = new Map<string, InstanceType<typeof QueueServiceClient>>();
  const queues = new Map<string, ReturnType<InstanceType<typeof QueueServiceClient>['getQueueClient']>>();

  const queue = (connectionString: string, name: string) => {
    const key = `${connectionString}\n${name}`;
    let q = queues.get(key);
    if (!q) {
      let service = services.get(connectionString);
      if (!service) {
        service = QueueServiceClient.fromConnectionString(connectionString);
        services.set(connectionString, service);
      }
      q = service.getQueueClient(name);
      queues.set(key, q);
    }
    return q;
  };

  port.on('message', (m: QueueCall) => {
    void (async () => {
      try {
        const q = queue(m.connectionString, m.queue);
        let result: unknown;
        if (m.op === 'receive') {
          const r = await q.receiveMessages({
            numberOfMessages: m.count,
            visibilityTimeout: m.visibilitySeconds,
          });
          result = r.receivedMessageItems.map((i) => ({
            messageId: i.messageId,
            popReceipt: i.popReceipt,
            messageText: i.messageText,
            dequeueCount: i.dequeueCount,
            expiresOn: i.expiresOn,
            insertedOn: i.insertedOn,
            nextVisibleOn: i.nextVisibleOn,
          }));
        } else if (m.op === 'delete') {
          await q.deleteMessage(m.messageId, m.popReceipt);
        } else if (m.op === 'renew') {
          result = (await q.updateMessage(m.messageId, m.popReceipt, undefined, m.visibilitySeconds))
            .popReceipt;
        } else if (m.op === 'send') {
          await q.sendMessage(m.text);
        } else {
          result = (await q.getProperties()).approximateMessagesCount ?? 0;
        }
        port.postMessage({ id: m.id, result });
      } catch (err) {
        port.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
      }
    })();
  });
}

type QueueCall = { id: number; connectionString: string; queue: string } & (
  | { op: 'receive'; count: number; visibilitySeconds: number }
  | { op: 'delete'; messageId: string; popReceipt: string }
  | { op: 'renew'; messageId: string; popReceipt: string; visibilitySeconds: number }
  | { op: 'send'; text: string }
  | { op: 'count' }
);

type Distribute<T> = T extends unknown ? Omit<T, 'id' | 'connectionString' | 'queue'> : never;

/** A received message, as the poller needs it. */
export interface ReceivedMessage {
  messageId: string;
  popReceipt: string;
  messageText: string;
  dequeueCount: number;
  expiresOn: Date;
  insertedOn: Date;
  nextVisibleOn: Date;
}

/** One queue's storage calls, answered by the thread. */
export interface QueueCalls {
  receive(count: number, visibilitySeconds: number, signal: AbortSignal): Promise<ReceivedMessage[]>;
  delete(messageId: string, popReceipt: string): Promise<void>;
  /** Extends or resets a message's invisibility; the new pop receipt. */
  renew(messageId: string, popReceipt: string, visibilitySeconds: number): Promise<string | undefined>;
  send(text: string): Promise<void>;
  /** Approximate count of messages, visible or not. */
  count(): Promise<number>;
}

export interface QueueThread {
  queue(connectionString: string, name: string): QueueCalls;
  close(): Promise<void>;
}

export function startQueueThread(): QueueThread {
  const worker = new Worker(`(${workerMain.toString()})()`, {
    eval: true,
    workerData: { resolveFrom: __filename },
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let next = 1;
  let closed = false;
  // The thread must not keep a finished process alive, nor let it exit while an answer is due.
  worker.unref();
  const settled = (id: number) => {
    pending.delete(id);
    if (pending.size === 0) worker.unref();
  };
  worker.on('message', (m: { id: number; result?: unknown; error?: string }) => {
    const p = pending.get(m.id);
    if (!p) return;
    settled(m.id);
    if (m.error !== undefined) p.reject(new Error(m.error));
    else p.resolve(m.result);
  });
  worker.on('error', (err) => {
    for (const [id, p] of pending) {
      settled(id);
      p.reject(err);
    }
  });

  function call<T>(connectionString: string, queue: string, c: Distribute<QueueCall>, signal?: AbortSignal) {
    if (closed) return Promise.reject(new Error('The queue listener has stopped'));
    const id = next++;
    return new Promise<T>((resolve, reject) => {
      // A stopping listener does not wait for a long poll; the thread's answer is then dropped.
      // The listener goes once the call is answered: the poller's signal lives as long as it does.
      const onAbort = () => {
        if (!pending.has(id)) return;
        settled(id);
        reject(new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      pending.set(id, {
        resolve: (v) => (done(), resolve(v as T)),
        reject: (e) => (done(), reject(e)),
      });
      worker.ref();
      worker.postMessage({ ...c, id, connectionString, queue });
    });
  }

  return {
    queue: (connectionString, name) => ({
      receive: (count, visibilitySeconds, signal) =>
        call(connectionString, name, { op: 'receive', count, visibilitySeconds }, signal),
      delete: (messageId, popReceipt) =>
        call(connectionString, name, { op: 'delete', messageId, popReceipt }),
      renew: (messageId, popReceipt, visibilitySeconds) =>
        call(connectionString, name, { op: 'renew', messageId, popReceipt, visibilitySeconds }),
      send: (text) => call(connectionString, name, { op: 'send', text }),
      count: () => call(connectionString, name, { op: 'count' }),
    }),
    async close() {
      closed = true;
      for (const [id, p] of pending) {
        settled(id);
        p.reject(new Error('The queue listener has stopped'));
      }
      await worker.terminate();
    },
  };
}
