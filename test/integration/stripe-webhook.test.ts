import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerStore } from '../../shared/billing/ledger';
import { ApiClient } from '../helpers/client';
import { startStack, type Stack } from '../helpers/stack';

const SECRET = 'whsec_test_gloriamundo';
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { STRIPE_WEBHOOK_SECRET: SECRET } });
});
afterAll(() => stack.close());

let n = 0;
const uid = (p: string) => `${p}_${Date.now()}_${++n}`;

function completed(
  userId: string,
  o: { session: string; pi: string; amount?: number; currency?: string; status?: string; type?: string },
) {
  return {
    id: uid('evt'),
    object: 'event',
    type: o.type ?? 'checkout.session.completed',
    api_version: '2025-01-27.acacia',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    data: {
      object: {
        id: o.session,
        object: 'checkout.session',
        mode: 'payment',
        payment_status: o.status ?? 'paid',
        amount_total: o.amount ?? 1000,
        currency: o.currency ?? 'usd',
        client_reference_id: userId,
        metadata: { packageId: 'standard', userId },
        payment_intent: o.pi,
      },
    },
  };
}

function refunded(pi: string, amountRefunded: number) {
  return {
    id: uid('evt'),
    object: 'event',
    type: 'charge.refunded',
    api_version: '2025-01-27.acacia',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    data: {
      object: {
        id: uid('ch'),
        object: 'charge',
        amount: 1000,
        amount_refunded: amountRefunded,
        payment_intent: pi,
      },
    },
  };
}

async function send(event: object, opts: { secret?: string; tamper?: boolean } = {}) {
  const payload = JSON.stringify(event);
  const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: opts.secret ?? SECRET });
  const res = await fetch(`${stack.url}/api/billing/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': header },
    body: opts.tamper ? payload.replace('"amount_total":1000', '"amount_total":1') : payload,
  });
  return { status: res.status, body: await res.json() };
}

async function account() {
  const c = new ApiClient(stack.url);
  const { user } = await c.register();
  return { c, userId: user.id };
}

const state = async (userId: string) => {
  const u = await stack.db.one<{ credits: number }>(`SELECT credits FROM users WHERE id = $1`, [userId]);
  const rows = await stack.db.many<{ kind: string; credits: number }>(
    `SELECT kind, credits FROM ledger WHERE user_id = $1 ORDER BY seq`,
    [userId],
  );
  return { credits: Number(u.credits), ledger: rows.map((r) => [r.kind, Number(r.credits)]) };
};

function shuffle<T>(xs: T[]): T[] {
  return xs
    .map((x) => [Math.random(), x] as const)
    .sort((a, b) => a[0] - b[0])
    .map(([, x]) => x);
}

describe('Stripe webhook (verified by the real stripe library)', () => {
  it('the same payment event 10 times, concurrently and out of order with its refund: granted once, refunded once', async () => {
    const { userId } = await account();
    const pi = uid('pi');
    const paid = completed(userId, { session: uid('cs'), pi });
    const refund = refunded(pi, 1000);
    const deliveries = shuffle([...Array.from({ length: 10 }, () => paid), refund, refund, refund]);
    const answers = await Promise.all(deliveries.map((e) => send(e)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(await state(userId)).toEqual({
      credits: 0,
      ledger: [
        ['purchase', 1_000_000],
        ['refund', -1_000_000],
      ],
    });
  });

  it('a refund that arrives before its payment is applied when the payment lands', async () => {
    const { userId } = await account();
    const pi = uid('pi');
    expect((await send(refunded(pi, 500))).status).toBe(200);
    expect((await state(userId)).credits).toBe(0);
    expect((await send(completed(userId, { session: uid('cs'), pi }))).status).toBe(200);
    expect(await state(userId)).toEqual({
      credits: 500_000,
      ledger: [
        ['purchase', 1_000_000],
        ['refund', -500_000],
      ],
    });
    // the rest of the refund later: only the difference comes off
    expect((await send(refunded(pi, 1000))).status).toBe(200);
    expect((await state(userId)).credits).toBe(0);
  });

  it('a refund never takes the balance below zero; the shortfall is recorded', async () => {
    const { userId } = await account();
    const pi = uid('pi');
    const session = uid('cs');
    await send(completed(userId, { session, pi }));
    await stack.db.tx(async (tx) => {
      await ledgerStore(tx).apply({
        userId,
        kind: 'usage',
        credits: -900_000,
        reference: uid('spent'),
        at: new Date(),
      });
    });
    await send(refunded(pi, 1000));
    expect((await state(userId)).credits).toBe(0);
    const purchase = await stack.db.one<{ credits_refunded: number; refund_shortfall: number }>(
      `SELECT credits_refunded, refund_shortfall FROM purchases WHERE checkout_session_id = $1`,
      [session],
    );
    expect(Number(purchase.credits_refunded)).toBe(1_000_000);
    expect(Number(purchase.refund_shortfall)).toBe(900_000);
  });

  it('a bad signature is 400 invalid_signature and changes nothing', async () => {
    const { userId } = await account();
    const event = completed(userId, { session: uid('cs'), pi: uid('pi') });
    const wrongSecret = await send(event, { secret: 'whsec_wrong' });
    expect(wrongSecret.status).toBe(400);
    expect(wrongSecret.body.error.code).toBe('invalid_signature');
    const tampered = await send(event, { tamper: true });
    expect(tampered.status).toBe(400);
    const unsigned = await fetch(`${stack.url}/api/billing/webhook`, {
      method: 'POST',
      body: JSON.stringify(event),
    });
    expect(unsigned.status).toBe(400);
    expect(await state(userId)).toEqual({ credits: 0, ledger: [] });
    expect(await stack.db.maybeOne(`SELECT 1 FROM stripe_events WHERE id = $1`, [event.id])).toBeNull();
  });

  it('an amount or currency that does not match the package grants nothing and is recorded', async () => {
    const { userId } = await account();
    const session = uid('cs');
    const event = completed(userId, { session, pi: uid('pi'), amount: 1 });
    expect((await send(event)).status).toBe(200);
    const euro = completed(userId, { session: uid('cs'), pi: uid('pi'), currency: 'eur' });
    expect((await send(euro)).status).toBe(200);
    expect((await state(userId)).credits).toBe(0);
    const recorded = await stack.db.one<{ outcome: string }>(
      `SELECT outcome FROM stripe_events WHERE id = $1`,
      [event.id],
    );
    expect(recorded.outcome).toBe('amount_mismatch');
    const purchase = await stack.db.one<{ status: string }>(
      `SELECT status FROM purchases WHERE checkout_session_id = $1`,
      [session],
    );
    expect(purchase.status).toBe('mismatch');
  });

  it('grants only when paid: an async payment grants on async_payment_succeeded', async () => {
    const { userId } = await account();
    const session = uid('cs');
    const pi = uid('pi');
    await send(completed(userId, { session, pi, status: 'unpaid' }));
    expect((await state(userId)).credits).toBe(0);
    await send(completed(userId, { session, pi, type: 'checkout.session.async_payment_succeeded' }));
    expect((await state(userId)).credits).toBe(1_000_000);
  });

  it('without Stripe keys, checkout answers 503 and the packages say checkout is off', async () => {
    const { c } = await account();
    const off = await c.post('/api/billing/checkout', { packageId: 'standard' });
    expect(off.status).toBe(503);
    expect((await c.get('/api/billing/packages')).body.checkoutEnabled).toBe(false);
  });

  it('a signed event it cannot use is 400 with a sentence naming the field, never 500, and changes nothing', async () => {
    const { userId } = await account();
    const good = completed(userId, { session: uid('cs'), pi: uid('pi') });
    const object = good.data.object;
    const broken = [
      { ...good, id: uid('evt'), data: undefined },
      { ...good, id: uid('evt'), data: {} },
      { ...good, id: uid('evt'), data: { object: { ...object, amount_total: '1000' } } },
      { ...good, id: uid('evt'), data: { object: { ...object, payment_intent: 7 } } },
      { ...good, id: uid('evt'), data: { object: { ...object, client_reference_id: `${userId}\u0000` } } },
      {
        ...good,
        id: uid('evt'),
        type: 'charge.refunded',
        data: { object: { id: uid('ch'), amount: 'all' } },
      },
      { type: 'checkout.session.completed', data: { object } },
    ];
    for (const event of broken) {
      const res = await send(event);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.message).toMatch(/correctly signed but .*\. Nothing was changed\.$/);
    }
    const amount = await send({
      ...good,
      id: uid('evt'),
      data: { object: { ...object, amount_total: '1000' } },
    });
    expect(amount.body.error.message).toMatch(/data\.object\.amount_total: amount_total must be a number/);
    expect(await state(userId)).toEqual({ credits: 0, ledger: [] });
    expect(
      await stack.db.maybeOne(`SELECT 1 FROM stripe_events WHERE id = ANY($1)`, [
        broken.map((e) => ('id' in e ? e.id : null)),
      ]),
    ).toBeNull();
    // the well-formed event is still applied afterwards: the refusals recorded nothing
    expect((await send(good)).status).toBe(200);
    expect((await state(userId)).credits).toBe(1_000_000);
  });

  it('answers 200 to event types it ignores', async () => {
    const res = await send({
      id: uid('evt'),
      object: 'event',
      type: 'customer.created',
      data: { object: {} },
    });
    expect(res.status).toBe(200);
  });
});
