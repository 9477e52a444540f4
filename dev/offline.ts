/**
 * `npm run start:offline`: `npm start` with the offline demo model (dev/fake-upstream), the
 * offline test checkout (dev/fake-stripe) and the offline Google and Microsoft sign-in
 * (dev/fake-identity) even when OPENROUTER_API_KEY, STRIPE_SECRET_KEY or the client ids are set,
 * so the product runs with no key and no network. Plain `npm start` does the same on its own for
 * whatever is not configured.
 */
import { closeOnSignals, startLocal } from './host/main';

async function main(): Promise<void> {
  const local = await startLocal({ offline: 'force' });
  closeOnSignals(() => local.close());
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
