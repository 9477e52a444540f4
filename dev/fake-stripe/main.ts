/**
 * CLI: `node dist/dev/fake-stripe/main.js` (after `npm run build`).
 * Env: WEBHOOK_URL and STRIPE_WEBHOOK_SECRET (both required: the app must verify with the same
 * secret), PORT (default 12111), HOST (default 127.0.0.1), PUBLIC_URL (what a browser should open).
 */
import { startFakeStripe } from './server';
import { closeOnSignals } from '../host/main';

async function main(): Promise<void> {
  const webhookUrl = process.env.WEBHOOK_URL;
  const webhookSecret = process.env.STRIPE_WEBHOOK_SECRET;
  if (!webhookUrl || !webhookSecret) {
    throw new Error('Set WEBHOOK_URL and STRIPE_WEBHOOK_SECRET (e.g. whsec_offline) first.');
  }
  const fake = await startFakeStripe({
    webhookUrl,
    webhookSecret,
    port: Number(process.env.PORT ?? 12111),
    host: process.env.HOST || undefined,
    publicUrl: process.env.PUBLIC_URL || undefined,
  });
  console.log(`Fake Stripe listening on ${fake.url}, sending webhooks to ${webhookUrl}`);
  console.log(
    `Use it with new Stripe('sk_test_…', { host: '${fake.host}', port: ${fake.port}, protocol: 'http' })`,
  );

  closeOnSignals(() => fake.close());
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
