/**
 * `npm run bench -- --soak[=minutes]`: `concurrency` streams kept running for a few minutes (each
 * ended stream is followed by a new one from the same person; one in ten is stopped midway),
 * then the app's memory and handles, and the database's books: no reply left streaming, no
 * credit left held, every balance equal to its ledger, every reply billed once.
 */
import type { Db } from '../shared/db/db';
import type { AppProcess } from './app-process';
import type { Person } from './people';
import { pct, readSse } from './relay';
import { readStamp, stamp } from './stamped-upstream';

export interface SoakFigures {
  minutes: number;
  concurrency: number;
  chunksPerReply: number;
  replies: number;
  stopped: number;
  errors: number;
  errorSamples: string[];
  /** Upstream write → client read, ms, over the whole soak (not a difference: no baseline ran). */
  chunkP50: number;
  chunkP99: number;
  rssBytes: { before: number; peak: number; after: number };
  /** JS heap in use after a full collection, before and after: growth here is a leak, not RSS kept by the allocator. */
  heapUsedBytes: { before: number; after: number };
  openFiles: { before: number; after: number };
  resources: { before: Record<string, number>; after: Record<string, number> };
  books: SoakBooks | { error: string };
}

export interface SoakBooks {
  streamingLeft: number;
  heldCredits: number;
  holdsLeft: number;
  /** Users whose balance differs from the sum of their ledger. */
  ledgerMismatches: number;
  /** Finished replies without exactly one usage record. */
  unbilledReplies: number;
  finishedReplies: number;
}

const ms = (ns: bigint) => Number(ns) / 1e6;

export async function soak(opts: {
  app: AppProcess;
  people: Person[];
  minutes: number;
  chunksPerReply: number;
  print: (line: string) => void;
}): Promise<Omit<SoakFigures, 'books'>> {
  const { app, people } = opts;
  const deadline = Date.now() + opts.minutes * 60_000;
  const chunkMs: number[] = [];
  const errors: string[] = [];
  let replies = 0;
  let stopped = 0;
  const heapBefore = (await app.heap()).heapUsed;
  const rssBefore = await app.rss();
  const before = { files: app.openFiles(), resources: await app.resources() };
  let peak = rssBefore;
  const sampler = setInterval(() => {
    void app.rss().then((r) => (peak = Math.max(peak, r)));
  }, 1000);
  const progress = setInterval(
    () =>
      opts.print(
        `  soak: ${replies} replies, ${stopped} stopped, ${errors.length} errors, RSS ${(peak / 2 ** 20).toFixed(0)} MB peak`,
      ),
    30_000,
  );

  const slot = async (person: Person, i: number) => {
    let sent = 0;
    while (Date.now() < deadline) {
      if (sent > 0 && sent % 10 === 0) await person.newConversation();
      sent++;
      // Every tenth reply of a slot is stopped after its first text, as a person clicking Stop.
      const stopThis = (sent + i) % 10 === 0;
      try {
        const res = await person.send(`hi #chunks=${opts.chunksPerReply}`);
        if (!res.ok) {
          errors.push(`HTTP ${res.status}: ${(await res.text()).slice(0, 160)}`);
          await new Promise((r) => setTimeout(r, 1000));
          continue;
        }
        let stopAsked: Promise<unknown> | undefined;
        await readSse(res, true, {
          text(text) {
            const sentAt = readStamp(text);
            if (sentAt !== undefined) chunkMs.push(ms(stamp() - sentAt));
            if (stopThis && !stopAsked) stopAsked = person.stop();
          },
          error(code) {
            errors.push(`error event: ${code}`);
          },
        });
        await stopAsked;
        replies++;
        if (stopThis) stopped++;
      } catch (err) {
        errors.push(String(err));
      }
    }
  };
  await Promise.all(people.map(slot));
  clearInterval(sampler);
  clearInterval(progress);
  // Follow-up jobs (titles, memory) and the last flushes settle before anything is counted.
  await new Promise((r) => setTimeout(r, 5000));
  return {
    minutes: opts.minutes,
    concurrency: people.length,
    chunksPerReply: opts.chunksPerReply,
    replies,
    stopped,
    errors: errors.length,
    errorSamples: [...new Set(errors)].slice(0, 3),
    chunkP50: pct(chunkMs, 50),
    chunkP99: pct(chunkMs, 99),
    rssBytes: { before: rssBefore, peak, after: await app.rss() },
    heapUsedBytes: { before: heapBefore, after: (await app.heap()).heapUsed },
    openFiles: { before: before.files, after: app.openFiles() },
    resources: { before: before.resources, after: await app.resources() },
  };
}

/** The books after the soak, read straight from the database. */
export async function checkBooks(db: Db): Promise<SoakBooks> {
  const n = async (sql: string) => Number((await db.one<{ n: number }>(sql)).n);
  return {
    streamingLeft: await n(`SELECT count(*) AS n FROM generations WHERE status = 'streaming'`),
    heldCredits: await n(`SELECT COALESCE(sum(held), 0) AS n FROM users`),
    holdsLeft: await n(`SELECT count(*) AS n FROM holds`),
    ledgerMismatches: await n(
      `SELECT count(*) AS n FROM (SELECT u.id FROM users u LEFT JOIN ledger l ON l.user_id = u.id
        GROUP BY u.id, u.credits HAVING u.credits <> COALESCE(sum(l.credits), 0)) x`,
    ),
    unbilledReplies: await n(
      `SELECT count(*) AS n FROM generations g WHERE g.status <> 'streaming'
          AND (SELECT count(*) FROM usage_records r WHERE r.reference = 'reply:' || g.id) <> 1`,
    ),
    finishedReplies: await n(`SELECT count(*) AS n FROM generations WHERE status <> 'streaming'`),
  };
}
