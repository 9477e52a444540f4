import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseForm } from './form';
import { startFakeStripe, type FakeStripe } from './server';

const SECRET = 'whsec_test_fake';

/** A webhook endpoint that verifies like the app must: on the raw bytes, with constructEvent. */
interface Receiver {
  url: string;
  events: Stripe.Event[];
  rejected: string[];
  /** Status to answer verified events with. */
  status: number;
  server: Server;
}

async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = { url: '', events: [], rejected: [], status: 200, server: createServer() };
  receiver.server.on('request', (req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      try {
        const raw = Buffer.concat(parts);
        receiver.events.push(
          Stripe.webhooks.constructEvent(raw, req.headers['stripe-signature'] ?? '', SECRET),
        );
        res.writeHead(receiver.status).end('ok');
      } catch (err) {
        receiver.rejected.push(String(err));
        res.writeHead(400).end('bad signature');
      }
    });
  });
  await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}/api/stripe/webhook`;
  return receiver;
}

let receiver: Receiver;
let fake: FakeStripe;
let stripe: Stripe;

beforeAll(async () => {
  receiver = await startReceiver();
  fake = await startFakeStripe({ webhookUrl: receiver.url, webhookSecret: SECRET });
  stripe = new Stripe('sk_test_fake', {
    host: fake.host,
    port: fake.port,
    protocol: 'http',
    maxNetworkRetries: 0,
  });
});
afterAll(async () => {
  await fake.close();
  await new Promise((resolve) => receiver.server.close(resolve));
});
beforeEach(() => {
  receiver.events.length = 0;
  receiver.rejected.length = 0;
  receiver.status = 200;
});

const params = (overrides: Partial<Stripe.Checkout.SessionCreateParams> = {}) => ({
  mode: 'payment' as const,
  client_reference_id: 'user-1',
  metadata: { packageId: 'pkg-5', userId: 'user-1' },
  line_items: [
    { quantity: 1, price_data: { currency: 'usd', unit_amount: 500, product_data: { name: '$5 credit' } } },
  ],
  success_url: 'http://app.test/billing?session_id={CHECKOUT_SESSION_ID}',
  cancel_url: 'http://app.test/billing?cancelled=1',
  ...overrides,
});

describe('checkout sessions through the real stripe library', () => {
  it('creates a session with line items and metadata and reads it back', async () => {
    const session = await stripe.checkout.sessions.create(
      params({
        customer_email: 'a@example.com',
        line_items: [
          { quantity: 2, price_data: { currency: 'usd', unit_amount: 250, product_data: { name: 'A & B' } } },
          { quantity: 1, price_data: { currency: 'usd', unit_amount: 99, product_data: { name: 'C' } } },
        ],
      }),
      { idempotencyKey: 'create-1' },
    );
    expect(session).toMatchObject({
      object: 'checkout.session',
      amount_total: 599,
      currency: 'usd',
      payment_status: 'unpaid',
      status: 'open',
      client_reference_id: 'user-1',
      customer_email: 'a@example.com',
      metadata: { packageId: 'pkg-5', userId: 'user-1' },
      success_url: 'http://app.test/billing?session_id={CHECKOUT_SESSION_ID}',
      mode: 'payment',
      livemode: false,
    });
    expect(session.id).toMatch(/^cs_test_[A-Za-z0-9]+$/);
    expect(session.url).toBe(`${fake.url}/checkout/${session.id}`);

    const read = await stripe.checkout.sessions.retrieve(session.id);
    expect(read).toEqual(session);

    const recorded = fake.sessions.find((s) => s.id === session.id);
    expect(recorded?.idempotencyKey).toBe('create-1');
    expect(recorded?.params).toMatchObject({
      metadata: { packageId: 'pkg-5', userId: 'user-1' },
      line_items: [
        { quantity: '2', price_data: { unit_amount: '250', product_data: { name: 'A & B' } } },
        {},
      ],
    });
  });

  it('answers the same idempotency key with the same session', async () => {
    const first = await stripe.checkout.sessions.create(params(), { idempotencyKey: 'same-key' });
    const count = fake.sessions.length;
    const again = await stripe.checkout.sessions.create(params(), { idempotencyKey: 'same-key' });
    expect(again).toEqual(first);
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(fake.sessions).toHaveLength(count);

    const other = await stripe.checkout.sessions.create(params());
    expect(other.id).not.toBe(first.id);

    const changed = await stripe.checkout.sessions
      .create(params({ client_reference_id: 'user-2' }), { idempotencyKey: 'same-key' })
      .catch((e: unknown) => e);
    expect(changed).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  });

  it('rejects missing params, unknown sessions and bad keys with Stripe errors', async () => {
    // The types already forbid leaving out currency; the fake must refuse it as Stripe does.
    const priceData = { unit_amount: 500, product_data: { name: 'x' } };
    const noCurrency = params({
      line_items: [
        { quantity: 1, price_data: priceData as Stripe.Checkout.SessionCreateParams.LineItem.PriceData },
      ],
    });
    const err = await stripe.checkout.sessions.create(noCurrency).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({
      statusCode: 400,
      type: 'StripeInvalidRequestError',
      param: 'line_items[0][price_data][currency]',
      message: 'Missing required param: line_items[0][price_data][currency].',
    });

    const noSuccess = await stripe.checkout.sessions
      .create(params({ success_url: undefined }))
      .catch((e: unknown) => e);
    expect(noSuccess).toMatchObject({ param: 'success_url' });

    const unknown = await stripe.checkout.sessions.retrieve('cs_test_nope').catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(unknown).toMatchObject({ statusCode: 404, code: 'resource_missing' });

    const live = new Stripe('sk_live_oops', { host: fake.host, port: fake.port, protocol: 'http' });
    const denied = await live.checkout.sessions.create(params()).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
  });
});

describe('webhooks', () => {
  it('pay() sends a signed checkout.session.completed the endpoint can verify', async () => {
    const session = await stripe.checkout.sessions.create(params());
    const result = await fake.pay(session.id);
    expect(result.status).toBe(200);
    expect(receiver.rejected).toEqual([]);
    expect(receiver.events).toHaveLength(1);
    const event = receiver.events[0];
    expect(event?.type).toBe('checkout.session.completed');
    expect(event?.id).toBe(result.event.id);
    expect(event?.api_version).toBe(Stripe.API_VERSION);
    expect(event?.data.object).toMatchObject({
      id: session.id,
      payment_status: 'paid',
      status: 'complete',
      amount_total: 500,
      currency: 'usd',
      client_reference_id: 'user-1',
      metadata: { packageId: 'pkg-5', userId: 'user-1' },
      payment_intent: expect.stringMatching(/^pi_/),
    });
    expect((await stripe.checkout.sessions.retrieve(session.id)).payment_status).toBe('paid');
    await expect(fake.pay(session.id)).rejects.toThrow('already paid');
  });

  it('reports the endpoint status and can fake a different amount', async () => {
    receiver.status = 500;
    const session = await stripe.checkout.sessions.create(params());
    const result = await fake.pay(session.id, { amountTotal: 1, currency: 'eur' });
    expect(result.status).toBe(500);
    expect(result.event.data.object).toMatchObject({ amount_total: 1, currency: 'eur' });
  });

  it('models delayed payment methods', async () => {
    const both = await fake.pay((await stripe.checkout.sessions.create(params())).id, { async: true });
    expect(both.deliveries.map((d) => [d.event.type, d.event.data.object.payment_status])).toEqual([
      ['checkout.session.completed', 'unpaid'],
      ['checkout.session.async_payment_succeeded', 'paid'],
    ]);

    const session = await stripe.checkout.sessions.create(params());
    const pending = await fake.pay(session.id, { paymentStatus: 'unpaid' });
    expect(pending.event.data.object.payment_status).toBe('unpaid');
    const settled = await fake.pay(session.id);
    expect(settled.event.type).toBe('checkout.session.async_payment_succeeded');
    expect(settled.event.data.object.payment_status).toBe('paid');
    expect(receiver.events).toHaveLength(4);
  });

  it('refund() sends charge.refunded with a running amount_refunded', async () => {
    const session = await stripe.checkout.sessions.create(
      params({ payment_intent_data: { metadata: { userId: 'user-1' } } }),
    );
    const paid = await fake.pay(session.id);
    const partial = await fake.refund(session.id, 200);
    expect(partial.status).toBe(200);
    expect(partial.event.type).toBe('charge.refunded');
    expect(partial.event.data.object).toMatchObject({
      object: 'charge',
      id: expect.stringMatching(/^ch_/),
      amount: 500,
      amount_refunded: 200,
      refunded: false,
      currency: 'usd',
      payment_intent: paid.event.data.object.payment_intent,
      // As on Stripe: the session's own metadata does not reach the charge.
      metadata: { userId: 'user-1' },
    });
    const rest = await fake.refund(session.id, 300);
    expect(rest.event.data.object).toMatchObject({ amount_refunded: 500, refunded: true });
    expect(rest.event.id).not.toBe(partial.event.id);
    await expect(fake.refund(session.id, 1)).rejects.toThrow('0 is left');
    expect(receiver.events.map((e) => e.type)).toEqual([
      'checkout.session.completed',
      'charge.refunded',
      'charge.refunded',
    ]);
  });

  it('signs events for replays, and a tampered or stale copy fails verification', async () => {
    const { event } = await fake.pay((await stripe.checkout.sessions.create(params())).id);
    const again = await fake.send(event);
    expect(again.status).toBe(200);
    expect(receiver.events.map((e) => e.id)).toEqual([event.id, event.id]);

    const { payload, header } = fake.signedEvent(event);
    expect(stripe.webhooks.constructEvent(payload, header, SECRET).id).toBe(event.id);
    expect(() => stripe.webhooks.constructEvent(payload.replace('500', '501'), header, SECRET)).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
    const stale = fake.signedEvent(event, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    expect(() => stripe.webhooks.constructEvent(stale.payload, stale.header, SECRET)).toThrow(/tolerance/);
  });
});

describe('hosted checkout page', () => {
  it('shows the order and pays through the form, then redirects to success_url', async () => {
    const session = await stripe.checkout.sessions.create(params());
    const page = await fetch(session.url ?? '');
    const html = await page.text();
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(html).toContain('<title>Fake Stripe Checkout</title>');
    expect(html).toContain('$5 credit');
    expect(html).toContain(`<form method="post" action="/checkout/${session.id}/pay">`);
    expect(html).toContain('<button type="submit">Pay $5.00</button>');
    expect(html).toContain('<a href="http://app.test/billing?cancelled=1">Cancel</a>');

    const submit = () =>
      fetch(`${fake.url}/checkout/${session.id}/pay`, { method: 'POST', redirect: 'manual' });
    const paid = await submit();
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe(`http://app.test/billing?session_id=${session.id}`);
    expect(receiver.events.map((e) => e.type)).toEqual(['checkout.session.completed']);

    // A second submit (back button) redirects without paying again.
    expect((await submit()).status).toBe(303);
    expect(receiver.events).toHaveLength(1);
  });
});

describe('unreachable webhook', () => {
  it('rejects and leaves the session open so the payment can be retried', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/hook`;
    await new Promise((resolve) => closed.close(resolve));

    const lonely = await startFakeStripe({ webhookUrl: deadUrl, webhookSecret: SECRET });
    try {
      const client = new Stripe('sk_test_fake', { host: lonely.host, port: lonely.port, protocol: 'http' });
      const session = await client.checkout.sessions.create(params());
      await expect(lonely.pay(session.id)).rejects.toThrow(/is unreachable/);
      expect(await client.checkout.sessions.retrieve(session.id)).toEqual(session);

      const page = await fetch(`${lonely.url}/checkout/${session.id}/pay`, {
        method: 'POST',
        redirect: 'manual',
      });
      expect(page.status).toBe(502);
      expect(await page.text()).toContain('Nothing was paid');
      expect(lonely.sessions[0]?.session.status).toBe('open');
      await expect(lonely.pay('cs_test_missing')).rejects.toThrow('No such checkout session');
    } finally {
      await lonely.close();
    }
  });
});

describe('form parsing', () => {
  it('reads bracket paths into objects and arrays, keeping metadata keys as given', () => {
    const body = 'a[0][b]=1&a[1][b]=x%20y&metadata[0]=zero&e[]=p&e[]=q&n=';
    expect(parseForm(body)).toEqual({
      a: [{ b: '1' }, { b: 'x y' }],
      metadata: { 0: 'zero' },
      e: ['p', 'q'],
      n: '',
    });
    expect(() => parseForm('a[__proto__][x]=1')).toThrow('Invalid parameter name');
    expect(() => parseForm('a=1&a[b]=2')).toThrow('Invalid hash');
  });
});
