/**
 * End-to-end: the built SPA in real headless Chromium against the whole product (local host,
 * PGlite, Azurite, fake upstream, fake Stripe). One stack for every scenario: starting one costs
 * more than most scenarios do. Each scenario signs up its own user.
 */
import { afterAll, beforeAll, inject } from 'vitest';
import { startStack } from '../helpers/stack';
import { e2e, launchBrowser } from './browser';
import { billingScenarios } from './scenarios/billing';
import { chatScenarios } from './scenarios/chat';
import { documentScenarios } from './scenarios/documents';
import { draftScenarios } from './scenarios/drafts';
import { featureScenarios } from './scenarios/features';
import { layoutScenarios } from './scenarios/layout';
import { demoBannerScenarios, versionScenarios } from './scenarios/versions';

beforeAll(async () => {
  [e2e.stack, e2e.browser] = await Promise.all([
    // The name the local host gives its offline demo model: the web app shows a banner for it.
    startStack({
      webDist: inject('webDist'),
      stripe: true,
      env: {
        UPSTREAM_NAME: 'offline-demo',
        REGISTRATIONS_PER_CLIENT_PER_HOUR: '1000',
        // Memory has no screen yet (its API is covered by test/integration/memories.test.ts); its
        // extraction calls would be billed and seen upstream by scenarios that count both.
        MEMORY_ENABLED: 'false',
      },
    }),
    launchBrowser(),
  ]);
});

afterAll(async () => {
  await e2e.browser?.close();
  await e2e.stack?.close();
});

chatScenarios();
layoutScenarios();
billingScenarios();
draftScenarios();
versionScenarios();
demoBannerScenarios();
featureScenarios();
documentScenarios();
