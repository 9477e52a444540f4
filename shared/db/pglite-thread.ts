import { Duplex } from 'node:stream';
import { Worker } from 'node:worker_threads';

/**
 * PGlite in a worker thread. PGlite runs PostgreSQL as WebAssembly on whichever thread calls
 * it; in the app's own thread every statement held the event loop for 1–5 ms, and under a burst
 * of replies that was 40 % of the loop, so streams stalled behind other people's first queries
 * (`npm run bench` shows the loop's delay and busy share per level). The worker owns the database; the app keeps its real `pg` client, which
 * speaks the PostgreSQL wire protocol to the worker over a stream: the same parser, the same
 * `DatabaseError`s with their SQLSTATE codes, the same type parsing as against a server.
 *
 * The worker's code is a function turned into source (`workerMain.toString()`), not a file: the
 * tests run the TypeScript sources, which a worker thread cannot load, and the compiled app and
 * the tests must run the same worker. It therefore uses nothing from this module's scope.
 */
function workerMain(): void {
  /* eslint-disable @typescript-eslint/no-require-imports -- see above: no imports in a worker made from source */
  const threads = require('node:worker_threads') as typeof import('node:worker_threads');
  const { createRequire } = require('node:module') as typeof import('node:module');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const { dir, resolveFrom } = threads.workerData as { dir: string | undefined; resolveFrom: string };
  const from = createRequire(resolveFrom);
  const { PGlite } = from('@electric-sql/pglite') as typeof import('@electric-sql/pglite');
  const { vector } = from('@electric-sql/pglite-pgvector') as typeof import('@electric-sql/pglite-pgvector');
  const port = threads.parentPort!;

  // Terminate ('X', length 4) would end PGlite's one session, which outlives every pool client.
  const isTerminate = (b: Uint8Array, at: number) =>
    b[at] === 0x58 && b[at + 1] === 0 && b[at + 2] === 0 && b[at + 3] === 0 && b[at + 4] === 4;
  const withoutTerminate = (b: Uint8Array) =>
    b.length >= 5 && isTerminate(b, b.length - 5) ? b.subarray(0, b.length - 5) : b;

  // A simple-query ROLLBACK ('Q', length, text, NUL), for a client that left inside a transaction.
  const rollback = new Uint8Array([0x51, 0, 0, 0, 13, ...Array.from('ROLLBACK', (c) => c.charCodeAt(0)), 0]);

  /**
   * The session's state after a batch, from its last ReadyForQuery ('Z', length 5, status):
   * 'I' idle, 'T' in a transaction, 'E' in a failed one; null when the batch did not end with one.
   */
  const statusAfter = (out: Uint8Array): number | null =>
    out.length >= 6 && out[out.length - 6] === 0x5a && out[out.length - 2] === 5
      ? out[out.length - 1]!
      : null;

  // Available, not created: the vector store's own migration runs CREATE EXTENSION vector.
  PGlite.create(dir, { extensions: { vector } }).then(
    (lite) => {
      /**
       * PGlite is one session shared by every pool client. Batches run one at a time, in the
       * order they came; while a client's transaction is open (or its batch left the protocol
       * mid-way), only that client's batches run, so transactions never interleave, and the
       * other clients' statements queue here instead of waiting for the app's thread to send
       * them one round trip at a time.
       */
      /** `internal`: a ROLLBACK of our own, whose answer nobody waits for. */
      const queue: { conn: number; bytes: Uint8Array; internal?: boolean }[] = [];
      let owner: number | null = null;
      let running = false;
      let closing = false;

      const run = async (conn: number, bytes: Uint8Array): Promise<Uint8Array> => {
        const input = withoutTerminate(bytes);
        const out = input.length ? await lite.execProtocolRaw(input) : new Uint8Array(0);
        const status = statusAfter(out);
        owner = status === 0x49 ? null : status === null && input.length === 0 ? owner : conn;
        return out;
      };

      const pump = async () => {
        if (running) return;
        running = true;
        try {
          for (;;) {
            const i = owner === null ? 0 : queue.findIndex((m) => m.conn === owner);
            if (i < 0 || i >= queue.length) break;
            const [m] = queue.splice(i, 1);
            try {
              let out = await run(m!.conn, m!.bytes);
              if (m!.internal) continue;
              // Only a buffer of its own can be handed over without copying.
              if (out.byteOffset !== 0 || out.byteLength !== out.buffer.byteLength) out = out.slice();
              port.postMessage({ type: 'out', conn: m!.conn, bytes: out }, [out.buffer as ArrayBuffer]);
            } catch (err) {
              if (owner === m!.conn) owner = null;
              if (m!.internal) continue;
              port.postMessage({
                type: 'fail',
                conn: m!.conn,
                message: String((err as Error)?.message ?? err),
              });
            }
          }
          if (closing && queue.length === 0) {
            await lite.close();
            port.postMessage({ type: 'closed' });
          }
        } finally {
          running = false;
        }
      };

      port.on(
        'message',
        (
          m:
            | { type: 'exec'; conn: number; bytes: Uint8Array }
            | { type: 'gone'; conn: number }
            | { type: 'close' },
        ) => {
          if (m.type === 'close') closing = true;
          else if (m.type === 'exec') queue.push({ conn: m.conn, bytes: m.bytes });
          else if (owner === m.conn) {
            // Its transaction must not hold the session for everyone else.
            queue.unshift({ conn: m.conn, bytes: rollback, internal: true });
          }
          void pump();
        },
      );
      port.postMessage({ type: 'ready' });
    },
    (err: unknown) =>
      port.postMessage({
        type: 'error',
        message: String((err as Error)?.message ?? err),
        stack: (err as Error)?.stack,
      }),
  );
}

type FromWorker =
  | { type: 'ready' }
  | { type: 'closed' }
  | { type: 'error'; message: string; stack?: string }
  | { type: 'out'; conn: number; bytes: Uint8Array }
  | { type: 'fail'; conn: number; message: string };

/**
 * What `pg` takes for a socket: bytes written are the client's protocol messages, sent to the
 * worker as one message per write batch (pg corks a query's Parse/Bind/Execute/Sync together, so
 * a statement is one trip); the worker's answer is pushed back as if it came off the wire.
 */
class WorkerSocket extends Duplex {
  constructor(
    private readonly send: (bytes: Uint8Array) => void,
    private readonly onDestroy: () => void,
  ) {
    super();
  }

  connect(): this {
    process.nextTick(() => this.emit('connect'));
    return this;
  }

  // Socket methods pg calls; none means anything on a thread.
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }

  answer(bytes: Uint8Array): void {
    if (bytes.byteLength) this.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.send(ownCopy([chunk]));
    done();
  }

  override _writev(chunks: { chunk: Buffer }[], done: (err?: Error | null) => void): void {
    this.send(ownCopy(chunks.map((c) => c.chunk)));
    done();
  }

  override _final(done: (err?: Error | null) => void): void {
    this.push(null);
    done();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.onDestroy();
    done(err);
  }
}

/** pg's small buffers share one pooled ArrayBuffer; what is transferred must be a buffer of its own. */
function ownCopy(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

export interface PgliteThread {
  /** A socket for one `pg` client (pass as `stream` in the pool's config). */
  socket(): Duplex;
  close(): Promise<void>;
}

/** Starts the worker that owns the database in `dir` (undefined: in memory) and waits until it is open. */
export async function startPgliteThread(dir: string | undefined): Promise<PgliteThread> {
  const worker = new Worker(`(${workerMain.toString()})()`, {
    eval: true,
    workerData: { dir, resolveFrom: __filename },
  });
  const sockets = new Map<number, WorkerSocket>();
  let nextConn = 1;
  let inFlight = 0;
  let failure: Error | undefined;
  let onClosed: (() => void) | undefined;

  // The worker must not keep a finished process alive, nor let it exit while an answer is due.
  const busy = (delta: number) => {
    inFlight += delta;
    if (inFlight > 0) worker.ref();
    else worker.unref();
  };

  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') resolve();
      else if (m.type === 'error') {
        const err = new Error(`The embedded database could not be opened: ${m.message}`);
        if (m.stack) err.stack = m.stack;
        reject(err);
      } else if (m.type === 'closed') onClosed?.();
      else {
        busy(-1);
        const socket = sockets.get(m.conn);
        if (m.type === 'out') socket?.answer(m.bytes);
        else socket?.destroy(new Error(`The embedded database failed: ${m.message}`));
      }
    });
    worker.on('error', (err) => {
      failure = err;
      reject(err);
      for (const s of sockets.values()) s.destroy(err);
    });
    worker.on('exit', (code) => {
      failure ??= new Error(`The embedded database's thread exited (code ${code}).`);
      reject(failure);
      for (const s of sockets.values()) s.destroy(failure);
      onClosed?.();
    });
  });
  await ready;
  worker.unref();

  return {
    socket() {
      const conn = nextConn++;
      const socket = new WorkerSocket(
        (bytes) => {
          if (failure) return socket.destroy(failure);
          busy(1);
          worker.postMessage({ type: 'exec', conn, bytes }, [bytes.buffer as ArrayBuffer]);
        },
        () => {
          sockets.delete(conn);
          if (!failure) worker.postMessage({ type: 'gone', conn });
        },
      );
      sockets.set(conn, socket);
      return socket;
    },
    async close() {
      if (failure) return;
      worker.ref();
      await new Promise<void>((resolve) => {
        onClosed = resolve;
        worker.postMessage({ type: 'close' });
      });
      await worker.terminate();
    },
  };
}
