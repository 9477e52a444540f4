import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../helpers/client';
import { startStack, type Stack } from '../helpers/stack';

let shop: Stack;
beforeAll(async () => {
  shop = await startStack({ stripe: true });
});
afterAll(() => shop.close());

describe('buying credits through Checkout (fake Stripe, real stripe library)', () => {
  it('lists packages, starts Checkout with the user and package, and the paid webhook grants the credits', async () => {
    const c = new ApiClient(shop.url);
    const { user } = await c.register();
    const packages = (await c.get('/api/billing/packages')).body;
    expect(packages.checkoutEnabled).toBe(true);
    expect(packages.packages.map((p: { id: string }) => p.id)).toEqual([
      'starter',
      'standard',
      'plus',
      'pro',
    ]);

    const res = await c.post('/api/billing/checkout', { packageId: 'starter' });
    expect(res.status).toBe(200);
    const session = shop.stripe!.sessions.at(-1)!;
    expect(res.body.url).toBe(session.session.url);
    expect(session.session).toMatchObject({
      client_reference_id: user.id,
      metadata: { packageId: 'starter' },
      amount_total: 500,
      currency: 'usd',
      success_url: `${shop.url}/billing/success?session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `${shop.url}/billing/cancel`,
    });

    const paid = await shop.stripe!.pay(session.id);
    expect(paid.status).toBe(200);
    expect((await c.get('/api/auth/session')).body.user.credits).toBe(500_000);
    const ledger = (await c.get('/api/billing/ledger')).body.entries;
    expect(ledger).toEqual([
      expect.objectContaining({ kind: 'purchase', credits: 500_000, balanceAfter: 500_000 }),
    ]);

    // the starter pack is for a first purchase only
    expect(
      (await c.get('/api/billing/packages')).body.packages.map((p: { id: string }) => p.id),
    ).not.toContain('starter');
    const again = await c.post('/api/billing/checkout', { packageId: 'starter' });
    expect(again.status).toBe(409);
    expect(again.body.error).toEqual({
      code: 'conflict',
      message:
        'The Starter pack is for a first purchase only, and this account has bought credits already. Choose another package.',
    });
    expect((await c.post('/api/billing/checkout', { packageId: 'gold' })).status).toBe(400);
  });

  it('three starter checkouts opened before paying are one Checkout page: paid once, granted once', async () => {
    const c = new ApiClient(shop.url);
    const { user } = await c.register();
    const before = shop.stripe!.sessions.length;
    const opened = await Promise.all(
      [1, 2, 3].map(() => c.post('/api/billing/checkout', { packageId: 'starter' })),
    );
    expect(opened.map((r) => r.status)).toEqual([200, 200, 200]);
    const reopened = await c.post('/api/billing/checkout', { packageId: 'starter' });
    expect(new Set([...opened, reopened].map((r) => r.body.url)).size).toBe(1);
    expect(shop.stripe!.sessions.length - before).toBe(1);
    const session = shop.stripe!.sessions.at(-1)!;
    expect(session.session.client_reference_id).toBe(user.id);

    expect((await shop.stripe!.pay(session.id)).status).toBe(200);
    expect((await c.get('/api/auth/session')).body.user.credits).toBe(500_000);
    expect((await c.post('/api/billing/checkout', { packageId: 'starter' })).status).toBe(409);
    expect((await c.get('/api/billing/ledger')).body.entries).toHaveLength(1);
  });
});
