import { app, type InvocationContext, type Timer } from '@azure/functions';
import { services } from './platform/services';

// Longer than any live reply can go untouched (flushes every second, ends before 230 s).
const ABANDONED_AFTER_MS = 5 * 60_000;

export async function reapGenerations(_timer: Timer, ctx: InvocationContext): Promise<void> {
  const n = await (await services()).chat.failAbandoned(ABANDONED_AFTER_MS);
  if (n > 0) ctx.warn(`marked ${n} abandoned replies as failed`);
}

app.timer('generations-reap', { schedule: '0 */2 * * * *', handler: reapGenerations });
