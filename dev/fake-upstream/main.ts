/**
 * CLI: `node dist/dev/fake-upstream/main.js` (after `npm run build`).
 * Env: PORT (default 7081), HOST (default 127.0.0.1),
 * CHUNK_DELAY_MS (default 0; about 30 makes streaming visible to a person).
 */
import { startFakeUpstream } from './server';
import { closeOnSignals } from '../host/main';

async function main(): Promise<void> {
  const upstream = await startFakeUpstream({
    port: Number(process.env.PORT ?? 7081),
    host: process.env.HOST || undefined,
    chunkDelayMs: Number(process.env.CHUNK_DELAY_MS ?? 0),
  });
  console.log(`Fake upstream listening on ${upstream.url}`);
  console.log(`Point the app at it with OPENROUTER_BASE_URL=${upstream.url}`);

  closeOnSignals(() => upstream.close());
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
