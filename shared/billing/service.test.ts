import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeStripe, type FakeStripe } from '../../dev/fake-stripe/server';
import { testDb, usingRealPostgres } from '../../test/helpers/db';
import type { Db } from '../db/db';
import { AppError } from '../errors';
import { billingService, stripeClient, type BillingService } from './service';

/**
 * The billing service against a real database and the fake Stripe, without the HTTP stack:
 * the fake's webhooks are delivered to a small server that hands them to `billing.webhook`.
 */
const SECRET = 'whsec_service_test';
let db: Db;
let fake: FakeStripe;
let hook: Server;
let billing: BillingService;
const now = new Date('2026-04-01T10:00:00Z');

beforeAll(async () => {
  db = await testDb();
  hook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const sig = req.headers['stripe-signature'];
      billing
        .webhook(Buffer.concat(chunks).toString('utf8'), typeof sig === 'string' ? sig : null)
        .then(
          (r) => [200, { received: true, outcome: r.outcome }] as const,
          (err: unknown) =>
            err instanceof AppError
              ? ([err.status, { error: { code: err.code, message: err.message } }] as const)
              : ([500, { error: { code: 'internal', message: String(err) } }] as const),
        )
        .then(([status, body]) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        }, console.error);
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const { port } = hook.address() as AddressInfo;
  fake = await startFakeStripe({ webhookUrl: `http://127.0.0.1:${port}/`, webhookSecret: SECRET, port: 0 });
  billing = billingService({
    db,
    clock: { now: () => now },
    stripe: stripeClient({ secretKey: 'sk_test_service', apiBaseUrl: fake.url }),
    webhookSecret: SECRET,
    publicBaseUrl: 'http://app.test',
    signupBonus: 0,
  });
});
afterAll(async () => {
  await fake?.close();
  await new Promise((resolve) => hook?.close(resolve));
  await db?.close();
});

let n = 0;
async function user() {
  const id = `u${++n}_${Date.now()}`;
  await db.exec(`INSERT INTO users (id, email) VALUES ($1, $2)`, [id, `${id}@example.com`]);
  return { id, email: `${id}@example.com` };
}
const balance = async (userId: string) =>
  Number((await db.one<{ credits: number }>(`SELECT credits FROM users WHERE id = $1`, [userId])).credits);
const purchases = (userId: string) =>
  db.many<{ kind: string; credits: number }>(
    `SELECT kind, credits FROM ledger WHERE user_id = $1 AND kind = 'purchase' ORDER BY credits DESC`,
    [userId],
  );
const sessionOf = (url: string) => fake.sessions.find((s) => s.session.url === url)!;

async function refusal(run: () => Promise<unknown>): Promise<AppError> {
  try {
    await run();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('the starter pack is bought once', () => {
  it('three starter checkouts opened before paying are one session: paid once, granted once', async () => {
    const u = await user();
    const before = fake.sessions.length;
    const racing = await Promise.all([1, 2, 3].map(() => billing.checkout(u, 'starter')));
    const later = await billing.checkout(u, 'starter');
    expect(new Set([...racing, later].map((r) => r.url)).size).toBe(1);
    expect(fake.sessions.length - before).toBe(1);

    expect((await fake.pay(sessionOf(later.url).id)).status).toBe(200);
    expect(await balance(u.id)).toBe(500_000);
    const again = await refusal(() => billing.checkout(u, 'starter'));
    expect(again.code).toBe('conflict');
    expect(again.message).toBe(
      'The Starter pack is for a first purchase only, and this account has bought credits already. Choose another package.',
    );
    // a regular package is still for sale
    expect((await billing.checkout(u, 'standard')).url).toMatch(/\/checkout\//);
  });

  it('a paid starter session whose webhook has not arrived yet is not sold again', async () => {
    const u = await user();
    const { url } = await billing.checkout(u, 'starter');
    const entry = sessionOf(url);
    entry.session.status = 'complete'; // paid at Stripe; the webhook is still on its way
    entry.session.payment_status = 'paid';
    const refused = await refusal(() => billing.checkout(u, 'starter'));
    expect(refused.code).toBe('conflict');
    expect(refused.message).toMatch(/is paid; its credits arrive within a minute/);
  });

  it('a starter session that expired unpaid is replaced by a new one', async () => {
    const u = await user();
    const first = await billing.checkout(u, 'starter');
    const entry = sessionOf(first.url);
    (entry.session as { status: string }).status = 'expired';
    const second = await billing.checkout(u, 'starter');
    expect(second.url).not.toBe(first.url);
    expect(await billing.checkout(u, 'starter')).toEqual(second);
  });

  it('two starter sessions paid at once: one is the starter, the other buys credits at the regular rate', async () => {
    // A discounted starter makes the difference visible: 800,000 credits for $5, against
    // 500,000 at the standard package's rate (1,000,000 for $10).
    await db.exec(`UPDATE packages SET credits = 800000 WHERE id = 'starter'`);
    try {
      const u = await user();
      const stripe = new Stripe('sk_test_service', {
        host: fake.host,
        port: fake.port,
        protocol: 'http',
        maxNetworkRetries: 0,
      });
      // Sessions opened outside checkout()'s one-per-user rule (say, before it existed).
      const open = () =>
        stripe.checkout.sessions.create({
          mode: 'payment',
          client_reference_id: u.id,
          metadata: { packageId: 'starter', userId: u.id },
          line_items: [
            {
              quantity: 1,
              price_data: { currency: 'usd', unit_amount: 500, product_data: { name: 'Starter pack' } },
            },
          ],
          success_url: 'http://app.test/billing/success',
        });
      const [a, b, c] = await Promise.all([open(), open(), open()]);
      const paid = await Promise.all([a, b, c].map((s) => fake.pay(s.id)));
      expect(paid.map((p) => p.status)).toEqual([200, 200, 200]);
      expect((await purchases(u.id)).map((r) => Number(r.credits))).toEqual([800_000, 500_000, 500_000]);
      expect(await balance(u.id)).toBe(1_800_000);
      const outcomes = await db.many<{ id: string; outcome: string }>(
        `SELECT id, outcome FROM stripe_events WHERE id = ANY($1) ORDER BY outcome`,
        [paid.map((p) => p.event.id)],
      );
      expect(outcomes.map((o) => o.outcome.replace(/:evt_.*/, ''))).toEqual([
        'granted',
        'granted_not_first_purchase:500000',
        'granted_not_first_purchase:500000',
      ]);
      // refunding a repeat takes back what it bought, not the starter's credits
      const repeat = paid.find((p) => p.event.id === outcomes[1]!.id)!.event.data.object.id;
      expect((await fake.refund(repeat, 500)).status).toBe(200);
      expect(await balance(u.id)).toBe(1_300_000);
    } finally {
      await db.exec(`UPDATE packages SET credits = 500000 WHERE id = 'starter'`);
    }
  });
});

describe('a signed event that cannot be used', () => {
  function signed(event: unknown, raw?: string) {
    const payload = raw ?? JSON.stringify(event);
    return { payload, header: Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }) };
  }
  const session = (userId: string, o: Record<string, unknown> = {}) => ({
    id: `cs_${++n}`,
    object: 'checkout.session',
    payment_status: 'paid',
    amount_total: 1000,
    currency: 'usd',
    client_reference_id: userId,
    metadata: { packageId: 'standard' },
    payment_intent: `pi_${n}`,
    ...o,
  });
  const event = (type: string, data: unknown) => ({ id: `evt_${++n}`, object: 'event', type, data });
  const eventCount = async () =>
    (await db.one<{ n: number }>(`SELECT count(*)::int AS n FROM stripe_events`)).n;

  it.each([
    ['no data', () => ({ id: `evt_${++n}`, object: 'event', type: 'checkout.session.completed' })],
    ['no data.object', () => event('checkout.session.completed', {})],
    [
      'amount_total as a string',
      (u: string) => event('checkout.session.completed', { object: session(u, { amount_total: '1000' }) }),
    ],
    [
      'amount_total a fraction',
      (u: string) => event('checkout.session.completed', { object: session(u, { amount_total: 999.5 }) }),
    ],
    [
      'payment_intent a number',
      (u: string) =>
        event('checkout.session.async_payment_succeeded', { object: session(u, { payment_intent: 42 }) }),
    ],
    [
      'a NUL in client_reference_id',
      (u: string) => event('checkout.session.completed', { object: session(`${u}\u0000`) }),
    ],
    [
      'metadata values that are not text',
      (u: string) =>
        event('checkout.session.completed', { object: session(u, { metadata: { packageId: 7 } }) }),
    ],
    ['an array as the session', () => event('checkout.session.completed', { object: [] })],
    [
      'a refund without amounts',
      () =>
        event('charge.refunded', { object: { id: 'ch_1', payment_intent: 'pi_1', amount_refunded: '10' } }),
    ],
    ['no event id', () => ({ type: 'checkout.session.completed', data: { object: {} } })],
    ['an event that is a string', () => 'checkout.session.completed'],
  ])('%s: 400 invalid_request naming the problem, nothing changed', async (_name, make) => {
    const u = await user();
    const before = await eventCount();
    const { payload, header } = signed(make(u.id));
    const err = await refusal(() => billing.webhook(payload, header));
    expect(err.code).toBe('invalid_request');
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/correctly signed but .*\(.+: .+\)\. Nothing was changed\.$/);
    expect(await eventCount()).toBe(before);
    expect(await balance(u.id)).toBe(0);
    expect(await db.maybeOne(`SELECT 1 FROM purchases WHERE user_id = $1`, [u.id])).toBeNull();
  });

  it('names the field and says what is wrong with it', async () => {
    const u = await user();
    const { payload, header } = signed(
      event('checkout.session.completed', { object: session(u.id, { amount_total: '1000' }) }),
    );
    const err = await refusal(() => billing.webhook(payload, header));
    expect(err.message).toMatch(
      /^The Stripe event evt_\d+ \(checkout\.session\.completed\) is correctly signed but cannot be used \(data\.object\.amount_total: amount_total must be a number\)\. Nothing was changed\.$/,
    );
  });

  it('a signed body that is not JSON is a 400 too, not a signature failure', async () => {
    const { payload, header } = signed(undefined, '{"id": "evt_truncated", "type": "checkout.se');
    const err = await refusal(() => billing.webhook(payload, header));
    expect(err.code).toBe('invalid_request');
    expect(err.message).toBe('The webhook body is correctly signed but is not JSON. Nothing was changed.');
  });

  it('types it does not act on are ignored with 200 whatever their shape', async () => {
    const { payload, header } = signed({ id: `evt_${++n}`, type: 'customer.created' });
    expect(await billing.webhook(payload, header)).toEqual({ outcome: 'ignored' });
  });

  it('the same event well-formed afterwards is applied (the refusal recorded nothing)', async () => {
    const u = await user();
    const object = session(u.id);
    const good = event('checkout.session.completed', { object });
    const broken = { ...good, data: { object: { ...object, amount_total: '1000' } } };
    const bad = signed(broken);
    expect((await refusal(() => billing.webhook(bad.payload, bad.header))).code).toBe('invalid_request');
    const ok = signed(good);
    expect((await billing.webhook(ok.payload, ok.header)).outcome).toMatch(/^granted:/);
    expect(await balance(u.id)).toBe(1_000_000);
  });

  it.skipIf(!usingRealPostgres())(
    'stays serialised per user under load: 20 starters at once, one starter',
    async () => {
      const u = await user();
      const events = Array.from({ length: 20 }, () =>
        signed(
          event('checkout.session.completed', {
            object: session(u.id, { amount_total: 500, metadata: { packageId: 'starter' } }),
          }),
        ),
      );
      const results = await Promise.all(events.map((e) => billing.webhook(e.payload, e.header)));
      expect(results.filter((r) => r.outcome.startsWith('granted:'))).toHaveLength(1);
      expect(results.filter((r) => r.outcome.startsWith('granted_not_first_purchase:'))).toHaveLength(19);
      expect(await balance(u.id)).toBe(20 * 500_000);
    },
  );
});
