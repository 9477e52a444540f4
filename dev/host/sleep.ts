import { setTimeout as delay } from 'node:timers/promises';

/** Waits `ms`, or less when `signal` aborts first (a host shutting down); never throws. */
export const sleepUnlessAborted = (ms: number, signal: AbortSignal): Promise<void> =>
  delay(ms, undefined, { signal }).catch(() => undefined);
