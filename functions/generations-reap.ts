import { app } from '@azure/functions';
import { timer } from './platform/triggers';

/**
 * Replies whose instance died mid-stream (their row has not been refreshed for about a minute)
 * are failed, billed for what was streamed, and their hold released, freeing the user's slots.
 */
app.timer('generations-reap', {
  schedule: '15 * * * * *',
  handler: timer(async ({ core, ctx }) => {
    const n = await core.chat.reapAbandoned();
    if (n > 0) ctx.warn(`failed ${n} abandoned replies and released their holds`);
  }),
});
