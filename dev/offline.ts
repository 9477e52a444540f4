/**
 * `npm run start:offline`: the whole product with no key and no network. Starts the scripted
 * fake upstream (dev/fake-upstream) and the fake Stripe (dev/fake-stripe), points the app at
 * them, then runs the local host.
 */
import { startFakeStripe } from './fake-stripe/server';
import { startFakeUpstream } from './fake-upstream/server';
import { closeOnSignals, startLocal } from './host/main';

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 7071);
  const upstream = await startFakeUpstream({
    port: Number(process.env.FAKE_UPSTREAM_PORT ?? 7081),
    // Slow enough that a person sees the reply stream in.
    chunkDelayMs: Number(process.env.CHUNK_DELAY_MS ?? 40),
  });
  const webhookSecret = 'whsec_offline';
  const stripe = await startFakeStripe({
    port: Number(process.env.FAKE_STRIPE_PORT ?? 12111),
    webhookUrl: `http://127.0.0.1:${port}/api/billing/webhook`,
    webhookSecret,
  });
  Object.assign(process.env, {
    OPENROUTER_BASE_URL: upstream.url,
    STRIPE_SECRET_KEY: 'sk_test_offline',
    STRIPE_WEBHOOK_SECRET: webhookSecret,
    STRIPE_API_BASE_URL: stripe.url,
    PUBLIC_BASE_URL: process.env.PUBLIC_BASE_URL ?? `http://localhost:${port}`,
  });
  delete process.env.OPENROUTER_API_KEY;
  console.log(`Offline: fake upstream at ${upstream.url} (see dev/fake-upstream/README.md)`);
  console.log(`Offline: fake Stripe Checkout at ${stripe.url} (see dev/fake-stripe/README.md)`);
  const local = await startLocal({ port });
  closeOnSignals(async () => {
    await local.close();
    await Promise.all([upstream.close(), stripe.close()]);
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
