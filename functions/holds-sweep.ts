import { app, type InvocationContext, type Timer } from '@azure/functions';
import { services } from './platform/services';

/** Gives back credit held by replies whose instance died before settling them. */
export async function sweepHolds(_timer: Timer, ctx: InvocationContext): Promise<void> {
  const released = await (await services()).sweepHolds();
  if (released > 0) ctx.warn(`released ${released} expired credit holds`);
}

app.timer('holds-sweep', { schedule: '30 * * * * *', handler: sweepHolds });
