import { app, type InvocationContext, type Timer } from '@azure/functions';
import { services } from './platform/services';

/** Keeps the catalogue and prices current; when OpenRouter is unreachable the last list stays. */
export async function refreshModels(_timer: Timer, ctx: InvocationContext): Promise<void> {
  try {
    const { count } = await (await services()).models.refresh();
    ctx.log(`model catalogue refreshed: ${count} models`);
  } catch (err) {
    ctx.warn(`model catalogue not refreshed, keeping the current one: ${String(err)}`);
  }
}

app.timer('models-refresh', { schedule: '0 17 */6 * * *', runOnStartup: true, handler: refreshModels });
