/**
 * How many of the machine's cores were busy over a stretch of time, whatever ran on them: the
 * app, PostgreSQL, Azurite, the upstream, the benchmark itself. A relay that waits for a core
 * the others hold is late however little work it does, so this tells "our work is slow" from
 * "the machine is full".
 */
import os from 'node:os';

export interface CpuReading {
  busy: number;
  total: number;
}

export function readCpu(): CpuReading {
  let busy = 0;
  let total = 0;
  for (const { times } of os.cpus()) {
    const all = times.user + times.nice + times.sys + times.idle + times.irq;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

/** Cores busy on average between two readings (0 … the number of cores). */
export function coresBusy(from: CpuReading, to: CpuReading): number {
  const total = to.total - from.total;
  return total > 0 ? ((to.busy - from.busy) / total) * os.cpus().length : Number.NaN;
}

/** Runs `work` and says how many cores the whole machine kept busy meanwhile. */
export async function withCoresBusy<T>(work: () => Promise<T>): Promise<{ result: T; coresBusy: number }> {
  const from = readCpu();
  const result = await work();
  return { result, coresBusy: coresBusy(from, readCpu()) };
}
