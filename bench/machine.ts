/**
 * How many of the machine's cores were busy over a stretch of time, whatever ran on them: the
 * app, PostgreSQL, Azurite, the upstream, the benchmark itself, and on Linux which of them held
 * the cores. A relay that waits for a core the others hold is late however little work it does,
 * so this tells "our work is slow" from "the machine is full", and a cost of the local stand-ins
 * (Azurite: in Azure, storage runs elsewhere) from one of ours.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

export interface CpuReading {
  busy: number;
  total: number;
  /** CPU clock ticks each process has used so far, by pid (Linux; empty elsewhere). */
  ticks: Map<number, number>;
  at: bigint;
}

/** The processes to tell apart, by pid; any other is named by what it runs. */
export type KnownProcesses = Record<string, number | undefined>;

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    clockTicks = 100;
  }
  return clockTicks;
}

function processTicks(): Map<number, number> {
  const ticks = new Map<number, number>();
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return ticks;
  }
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name, which may itself hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks.set(Number(pid), Number(fields[11]) + Number(fields[12]));
    } catch {
      // Gone between the listing and the read.
    }
  }
  return ticks;
}

export function readCpu(): CpuReading {
  let busy = 0;
  let total = 0;
  for (const { times } of os.cpus()) {
    const all = times.user + times.nice + times.sys + times.idle + times.irq;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total, ticks: processTicks(), at: process.hrtime.bigint() };
}

/** Cores busy on average between two readings (0 … the number of cores). */
export function coresBusy(from: CpuReading, to: CpuReading): number {
  const total = to.total - from.total;
  return total > 0 ? ((to.busy - from.busy) / total) * os.cpus().length : Number.NaN;
}

function nameOf(pid: number, known: KnownProcesses): string {
  for (const [name, p] of Object.entries(known)) if (p === pid) return name;
  try {
    const comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    if (comm.startsWith('postgres')) return 'PostgreSQL';
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (cmd.includes('azurite')) return 'Azurite';
  } catch {
    // Exited: its share goes to "other".
  }
  return 'other';
}

/**
 * Cores each process held between two readings, grouped by name. A process that started in
 * between counts from zero; one that ended in between is missed (short-lived, so little).
 */
export function coresByProcess(
  from: CpuReading,
  to: CpuReading,
  known: KnownProcesses,
): Record<string, number> {
  const seconds = Number(to.at - from.at) / 1e9;
  const out: Record<string, number> = {};
  if (seconds <= 0 || to.ticks.size === 0) return out;
  for (const [pid, t] of to.ticks) {
    const used = t - (from.ticks.get(pid) ?? 0);
    if (used <= 0) continue;
    const name = nameOf(pid, known);
    out[name] = (out[name] ?? 0) + used / ticksPerSecond() / seconds;
  }
  return out;
}

/** Runs `work` and says how many cores the whole machine kept busy meanwhile, and who held them. */
export async function withCoresBusy<T>(
  work: () => Promise<T>,
  known: KnownProcesses = {},
): Promise<{ result: T; coresBusy: number; byProcess: Record<string, number> }> {
  const from = readCpu();
  const result = await work();
  const to = readCpu();
  return { result, coresBusy: coresBusy(from, to), byProcess: coresByProcess(from, to, known) };
}
