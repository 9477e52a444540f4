/**
 * Loaded into the app's process by the benchmark (`node --require dist/bench/app-probe.js`), it
 * answers the benchmark over the IPC channel: between `start` and `stop` it records how late the
 * event loop ran (perf_hooks.monitorEventLoopDelay), how busy it was (event-loop utilisation),
 * the CPU the process used and its peak RSS; with BENCH_PROFILE_DIR set it also writes a CPU
 * profile of the window there. Nothing of it is part of the app.
 */
import fs from 'node:fs';
import inspector from 'node:inspector';
import path from 'node:path';
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';

export type ProbeRequest =
  | { probe: 'start'; name: string }
  | { probe: 'stop' }
  | { probe: 'rss' }
  | { probe: 'resources' }
  | { probe: 'heap' };

export interface ProbeWindow {
  name: string;
  /** Event-loop delay, ms. */
  loopDelay: { p50: number; p99: number; max: number };
  /** Share of the window the main thread was busy (0–1). */
  loopUtilisation: number;
  /** CPU seconds of the whole process (every thread) per second of the window. */
  cpuPerSecond: number;
  peakRssBytes: number;
  seconds: number;
  profile?: string;
}

export type ProbeAnswer =
  | { probe: 'started' }
  | { probe: 'stopped'; window: ProbeWindow }
  | { probe: 'rss'; bytes: number }
  | { probe: 'resources'; counts: Record<string, number> }
  | { probe: 'heap'; bytes: { heapUsed: number; external: number; rss: number } };

interface Running {
  name: string;
  delay: ReturnType<typeof monitorEventLoopDelay>;
  elu: EventLoopUtilization;
  cpu: NodeJS.CpuUsage;
  t0: number;
  peakRss: number;
  rssTimer: NodeJS.Timeout;
  session?: inspector.Session;
}

let running: Running | undefined;
let windows = 0;
const profileDir = process.env.BENCH_PROFILE_DIR;
const send = (a: ProbeAnswer) => process.send?.(a);

function start(name: string): void {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const r: Running = {
    name,
    delay,
    elu: performance.eventLoopUtilization(),
    cpu: process.cpuUsage(),
    t0: performance.now(),
    peakRss: process.memoryUsage.rss(),
    rssTimer: setInterval(() => (r.peakRss = Math.max(r.peakRss, process.memoryUsage.rss())), 100),
  };
  if (profileDir) {
    r.session = new inspector.Session();
    r.session.connect();
    r.session.post('Profiler.enable');
    r.session.post('Profiler.setSamplingInterval', { interval: 200 });
    r.session.post('Profiler.start');
  }
  running = r;
}

async function stop(): Promise<ProbeWindow | undefined> {
  const r = running;
  if (!r) return undefined;
  running = undefined;
  clearInterval(r.rssTimer);
  r.delay.disable();
  const seconds = (performance.now() - r.t0) / 1000;
  const cpu = process.cpuUsage(r.cpu);
  const window: ProbeWindow = {
    name: r.name,
    loopDelay: {
      p50: r.delay.percentile(50) / 1e6,
      p99: r.delay.percentile(99) / 1e6,
      max: r.delay.max / 1e6,
    },
    loopUtilisation: performance.eventLoopUtilization(r.elu).utilization,
    cpuPerSecond: (cpu.user + cpu.system) / 1e6 / seconds,
    peakRssBytes: Math.max(r.peakRss, process.memoryUsage.rss()),
    seconds,
  };
  if (r.session && profileDir) {
    const session = r.session;
    const profile = await new Promise<object>((resolve, reject) =>
      session.post('Profiler.stop', (err, res) => (err ? reject(err) : resolve(res.profile))),
    );
    session.disconnect();
    fs.mkdirSync(profileDir, { recursive: true });
    window.profile = path.join(profileDir, `${++windows}-${r.name.replace(/[^\w.-]+/g, '_')}.cpuprofile`);
    fs.writeFileSync(window.profile, JSON.stringify(profile));
  }
  return window;
}

process.on('message', (m: ProbeRequest) => {
  if (m.probe === 'start') {
    void stop().then(() => {
      start(m.name);
      send({ probe: 'started' });
    });
  } else if (m.probe === 'stop') {
    void stop().then((window) => window && send({ probe: 'stopped', window }));
  } else if (m.probe === 'rss') {
    send({ probe: 'rss', bytes: process.memoryUsage.rss() });
  } else if (m.probe === 'heap') {
    // After a full collection (the benchmark starts the app with --expose-gc): what is still held.
    (globalThis as { gc?: () => void }).gc?.();
    const u = process.memoryUsage();
    send({ probe: 'heap', bytes: { heapUsed: u.heapUsed, external: u.external, rss: u.rss } });
  } else if (m.probe === 'resources') {
    const counts: Record<string, number> = {};
    for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
    send({ probe: 'resources', counts });
  }
});
// The channel must not keep a host that was asked to stop alive.
process.channel?.unref();
