/**
 * CLI: `node dist/dev/fake-identity/main.js` (after `npm run build`): both offline providers
 * with a consent page, and the settings that point the app at them. The Microsoft one is HTTPS
 * with a CA made here: start the app with NODE_EXTRA_CA_CERTS set to the printed file.
 * Env: GOOGLE_PORT (default 7091), MICROSOFT_PORT (default 7092).
 */
import { closeOnSignals } from '../host/main';
import { startFakeIdentity } from './server';
import { createLocalCertificates } from './tls';

async function main(): Promise<void> {
  const certs = createLocalCertificates();
  const google = await startFakeIdentity({
    kind: 'google',
    clientId: 'offline-google-client',
    clientSecret: 'offline-google-secret',
    port: Number(process.env.GOOGLE_PORT ?? 7091),
  });
  const microsoft = await startFakeIdentity({
    kind: 'microsoft',
    clientId: 'offline-microsoft-client',
    clientSecret: 'offline-microsoft-secret',
    port: Number(process.env.MICROSOFT_PORT ?? 7092),
    tls: certs,
  });
  console.log(`Offline Google at ${google.url}, offline Microsoft at ${microsoft.url}. Start the app with:`);
  console.log(
    [
      `GOOGLE_CLIENT_ID=offline-google-client GOOGLE_CLIENT_SECRET=offline-google-secret GOOGLE_ISSUER=${google.issuer}`,
      `MICROSOFT_CLIENT_ID=offline-microsoft-client MICROSOFT_CLIENT_SECRET=offline-microsoft-secret`,
      `MICROSOFT_AUTHORITY=${microsoft.issuer} NODE_EXTRA_CA_CERTS=${certs.caFile} npm start`,
    ].join(' \\\n  '),
  );
  closeOnSignals(async () => {
    await Promise.all([google.close(), microsoft.close()]);
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
