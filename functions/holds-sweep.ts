import { app } from '@azure/functions';
import { timer } from './platform/triggers';

/** Gives back credit held by replies that never settled and are not streaming any more. */
app.timer('holds-sweep', {
  schedule: '45 * * * * *',
  handler: timer(async ({ core, ctx }) => {
    const released = await core.sweepHolds();
    if (released > 0) ctx.warn(`released ${released} expired credit holds`);
  }),
});
