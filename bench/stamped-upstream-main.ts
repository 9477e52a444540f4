import { startStampedUpstream } from './stamped-upstream';

void startStampedUpstream({
  chunks: Number(process.env.BENCH_CHUNKS ?? 40),
  intervalMs: Number(process.env.BENCH_INTERVAL_MS ?? 25),
}).then(({ url }) => process.send?.(url));
