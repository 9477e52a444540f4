/** Worker thread of bench/bulk.ts: generates, embeds and COPY-encodes chunk ranges on request. */
import { parentPort, workerData } from 'node:worker_threads';
import { binaryCopy, bulkChunks, bulkNames, type WorkerRequest } from './bulk';

const { userId } = workerData as { userId: string };
const names = bulkNames();
parentPort!.on('message', (r: WorkerRequest) => {
  const chunks = bulkChunks(r.from, r.to, names, r.withVector);
  if (r.format === 'chunks') {
    parentPort!.postMessage(chunks);
    return;
  }
  const encoded = binaryCopy(userId, chunks, r.withVector);
  // A Buffer may be a view into a shared pool; only a buffer of its own can be transferred.
  const payload =
    encoded.byteOffset === 0 && encoded.byteLength === encoded.buffer.byteLength
      ? encoded
      : new Uint8Array(encoded);
  parentPort!.postMessage(payload, [payload.buffer as ArrayBuffer]);
});
