import { getEventListeners } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type AzuriteHandle } from './azurite';
import { startQueueThread, type QueueThread } from './queue-thread';
import { ensureQueue } from './storage';

let azurite: AzuriteHandle;
let thread: QueueThread;
beforeAll(async () => {
  azurite = await startAzurite({ inMemory: true });
  thread = startQueueThread();
}, 60_000);
afterAll(async () => {
  await thread.close();
  await azurite.stop();
});

describe('the queue listener’s storage thread', () => {
  it('sends, receives and deletes through the thread, and a long-lived stop signal keeps no listeners', async () => {
    await ensureQueue(azurite.connectionString, 'thread-test');
    const q = thread.queue(azurite.connectionString, 'thread-test');
    const stop = new AbortController();
    await q.send('aGVsbG8=');
    const [message] = await q.receive(1, 30, stop.signal);
    expect(message).toMatchObject({ messageText: 'aGVsbG8=', dequeueCount: 1 });
    expect(message!.insertedOn).toBeInstanceOf(Date);
    await q.delete(message!.messageId, message!.popReceipt);
    // The poller passes one signal to every receive for as long as it runs.
    for (let i = 0; i < 20; i++) expect(await q.receive(1, 30, stop.signal)).toEqual([]);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
    expect(await q.count()).toBe(0);
  });

  it('a stop ends a pending receive at once', async () => {
    const q = thread.queue(azurite.connectionString, 'thread-test');
    const stop = new AbortController();
    const pending = q.receive(1, 30, stop.signal);
    stop.abort();
    await expect(pending).rejects.toThrow('aborted');
  });
});
