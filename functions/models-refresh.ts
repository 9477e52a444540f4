import { app } from '@azure/functions';
import { timer } from './platform/triggers';

/**
 * Keeps the catalogue and prices current. Hourly, but only a catalogue older than its refresh
 * interval is fetched, and not on startup: a scale-out of many instances fetches nothing.
 * When OpenRouter is unreachable the last list stays.
 */
app.timer('models-refresh', {
  schedule: '0 17 * * * *',
  handler: timer(async ({ core, ctx }) => {
    try {
      const result = await core.models.refreshIfStale();
      if (result) ctx.log(`model catalogue refreshed: ${result.count} models`);
    } catch (err) {
      ctx.warn(`model catalogue not refreshed, keeping the current one: ${String(err)}`);
    }
  }),
});
