/**
 * End-to-end: the built SPA in real headless Chromium against the whole product (local host,
 * PGlite, Azurite, fake upstream, fake Stripe, the offline Google sign-in). One stack for every
 * scenario: starting one costs more than most scenarios do. Each scenario signs up its own user.
 */
import { afterAll, beforeAll, inject } from 'vitest';
import { startFakeIdentity } from '../../dev/fake-identity/server';
import { startStack } from '../helpers/stack';
import { e2e, GOOGLE_CLIENT, launchBrowser } from './browser';
import { billingScenarios } from './scenarios/billing';
import { chatScenarios } from './scenarios/chat';
import { documentScenarios } from './scenarios/documents';
import { draftScenarios } from './scenarios/drafts';
import { imageScenarios } from './scenarios/images';
import { featureScenarios } from './scenarios/features';
import { layoutScenarios } from './scenarios/layout';
import { memoryScenarios } from './scenarios/memory';
import { signInScenarios } from './scenarios/signin';
import { demoBannerScenarios, versionScenarios } from './scenarios/versions';

beforeAll(async () => {
  // Its consent page is where a person says who signs in, as with `npm start`.
  e2e.google = await startFakeIdentity({
    kind: 'google',
    clientId: GOOGLE_CLIENT.id,
    clientSecret: GOOGLE_CLIENT.secret,
  });
  [e2e.stack, e2e.browser] = await Promise.all([
    // The name the local host gives its offline demo model: the web app shows a banner for it.
    startStack({
      webDist: inject('webDist'),
      stripe: true,
      env: {
        UPSTREAM_NAME: 'offline-demo',
        REGISTRATIONS_PER_CLIENT_PER_HOUR: '1000',
        // New accounts have no credit, and extraction on a paid model is skipped for users who
        // cannot pay for it: a free memory model lets the scenarios see memory at work.
        MEMORY_MODEL: 'meta-llama/llama-3.2-3b-instruct:free',
        GOOGLE_CLIENT_ID: GOOGLE_CLIENT.id,
        GOOGLE_CLIENT_SECRET: GOOGLE_CLIENT.secret,
        GOOGLE_ISSUER: e2e.google.issuer,
      },
    }),
    launchBrowser(),
  ]);
});

afterAll(async () => {
  await e2e.browser?.close();
  await e2e.stack?.close();
  await e2e.google?.close();
});

chatScenarios();
layoutScenarios();
billingScenarios();
draftScenarios();
versionScenarios();
demoBannerScenarios();
featureScenarios();
documentScenarios();
imageScenarios();
memoryScenarios();
signInScenarios();
