/**
 * `npm run start:offline`: the whole product with no key and no network. Starts the scripted
 * fake upstream (dev/fake-upstream) and points the app at it, then runs the local host.
 */
import { startFakeUpstream } from './fake-upstream/server';
import { closeOnSignals, startLocal } from './host/main';

async function main(): Promise<void> {
  const upstream = await startFakeUpstream({
    port: Number(process.env.FAKE_UPSTREAM_PORT ?? 7081),
    // Slow enough that a person sees the reply stream in.
    chunkDelayMs: Number(process.env.CHUNK_DELAY_MS ?? 40),
  });
  process.env.OPENROUTER_BASE_URL = upstream.url;
  delete process.env.OPENROUTER_API_KEY;
  console.log(`Offline: the fake upstream answers at ${upstream.url} (see dev/fake-upstream/README.md)`);
  const local = await startLocal();
  closeOnSignals(async () => {
    await local.close();
    await upstream.close();
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
