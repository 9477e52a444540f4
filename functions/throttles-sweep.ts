import { app } from '@azure/functions';
import { timer } from './platform/triggers';

/** Forgets sign-in, registration and share-view throttle rows whose windows ended long ago. */
app.timer('throttles-sweep', {
  schedule: '0 17 * * * *',
  handler: timer(async ({ core, ctx }) => {
    const forgotten = await core.auth.sweepThrottles();
    if (forgotten > 0) ctx.log(`forgot ${forgotten} stale throttle rows`);
  }),
});
