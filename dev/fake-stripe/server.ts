/**
 * An offline stand-in for the slice of Stripe that GloriaMundo uses: Checkout Sessions in the real
 * `stripe` library's wire format, a clickable hosted-checkout page, and webhooks signed the way
 * Stripe signs them. Used by tests and `npm run start:offline`. See README.md next to this file.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { FormError, parseForm, type FormObject, type FormValue } from './form';

/** The fields of Stripe's Checkout Session object that the fake fills in. */
export interface CheckoutSessionObject {
  id: string;
  object: 'checkout.session';
  amount_subtotal: number;
  amount_total: number;
  cancel_url: string | null;
  client_reference_id: string | null;
  created: number;
  currency: string;
  customer: null;
  customer_details: { email: string | null; name: string | null } | null;
  customer_email: string | null;
  expires_at: number;
  livemode: false;
  metadata: Record<string, string>;
  mode: 'payment';
  payment_intent: string | null;
  payment_status: 'paid' | 'unpaid';
  status: 'open' | 'complete';
  success_url: string;
  url: string | null;
}

/** The fields of Stripe's Charge object that charge.refunded carries here. */
export interface ChargeObject {
  id: string;
  object: 'charge';
  amount: number;
  amount_captured: number;
  amount_refunded: number;
  captured: true;
  created: number;
  currency: string;
  livemode: false;
  metadata: Record<string, string>;
  paid: true;
  payment_intent: string;
  refunded: boolean;
  status: 'succeeded';
}

export interface FakeEvent<T extends object = object> {
  id: string;
  object: 'event';
  type: string;
  api_version: string;
  created: number;
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  data: { object: T };
}

export interface Delivery<E extends object = object> {
  /** The webhook endpoint's HTTP status. */
  status: number;
  event: E;
  /** The endpoint's response body, to see why it refused an event. */
  responseBody: string;
}

export interface FakeLineItem {
  name: string;
  quantity: number;
  unitAmount: number;
}

export interface FakeCheckoutSession {
  id: string;
  /** The create request's form body as nested objects and arrays; every leaf is a string, as sent. */
  params: FormObject;
  idempotencyKey: string | null;
  lineItems: FakeLineItem[];
  /** The API object as it is now: pay() completes it. */
  session: CheckoutSessionObject;
  /** Set by pay(); refunds belong to this charge. */
  chargeId: string | null;
  /** Running total of refund() calls, in the smallest currency unit. */
  amountRefunded: number;
}

export interface PayOptions {
  /** Pretend Stripe charged a different amount or currency (the stored session changes too). */
  amountTotal?: number;
  currency?: string;
  /** 'unpaid' sends checkout.session.completed for a delayed payment method and stops there. */
  paymentStatus?: 'paid' | 'unpaid';
  /** Completed with 'unpaid', then checkout.session.async_payment_succeeded, in one call. */
  async?: boolean;
}

export type SessionDelivery = Delivery<FakeEvent<CheckoutSessionObject>>;

export interface FakeStripe {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  /** For `new Stripe(key, { host, port, protocol: 'http', maxNetworkRetries: 0 })`. */
  host: string;
  port: number;
  /** Every created session, oldest first. */
  sessions: FakeCheckoutSession[];
  /** Every webhook POST the fake made, oldest first. */
  deliveries: Delivery[];
  /**
   * Completes a session as Stripe would and POSTs the signed event(s) to the webhook, awaiting the
   * answer. On a session already completed with 'unpaid' it sends async_payment_succeeded instead.
   * Rejects for unknown or already paid sessions, or when the webhook cannot be reached.
   */
  pay(sessionId: string, opts?: PayOptions): Promise<SessionDelivery & { deliveries: SessionDelivery[] }>;
  /** Refunds `amount` more of a paid session and sends charge.refunded (amount_refunded is cumulative). */
  refund(sessionId: string, amount: number): Promise<Delivery<FakeEvent<ChargeObject>>>;
  /** Signs without sending, for tests that replay, reorder or send concurrently. */
  signedEvent(
    event: object,
    opts?: { timestamp?: number; secret?: string },
  ): { payload: string; header: string };
  /** Signs and POSTs any event to the webhook (again), recording the delivery. */
  send<E extends object>(event: E): Promise<Delivery<E>>;
  close(): Promise<void>;
}

export interface FakeStripeOptions {
  webhookUrl: string;
  webhookSecret: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Base URL a browser uses to reach the fake, when it differs from `url`. */
  publicUrl?: string;
}

interface StripeErrorBody {
  type: 'invalid_request_error' | 'idempotency_error' | 'api_error';
  message: string;
  param?: string;
  code?: string;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
  ) {
    super(body.message);
  }
}

const invalid = (message: string, param?: string): ApiError =>
  new ApiError(400, { type: 'invalid_request_error', message, ...(param ? { param } : {}) });
const missing = (param: string): ApiError => invalid(`Missing required param: ${param}.`, param);

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function newId(prefix: string, length = 24): string {
  return prefix + [...randomBytes(length)].map((b) => ALPHANUMERIC[b % ALPHANUMERIC.length]).join('');
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

function asObject(value: FormValue | undefined, param: string): FormObject | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string' || Array.isArray(value)) throw invalid('Invalid object', param);
  return value;
}

/** Stripe reads `key=` as "not set", so an empty string counts as absent. */
function asString(value: FormValue | undefined, param: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw invalid(`Invalid string: ${JSON.stringify(value)}`, param);
  return value;
}

function asInteger(value: FormValue | undefined, param: string): number | undefined {
  const text = asString(value, param);
  if (text === undefined) return undefined;
  if (!/^\d{1,15}$/.test(text)) throw invalid(`Invalid integer: ${text}`, param);
  return Number(text);
}

function required<T>(value: T | undefined, param: string): T {
  if (value === undefined) throw missing(param);
  return value;
}

function asUrl(value: FormValue | undefined, param: string): string | undefined {
  const url = asString(value, param);
  if (url !== undefined && !URL.canParse(url)) throw invalid('Not a valid URL', param);
  return url;
}

interface CreateRequest {
  lineItems: FakeLineItem[];
  currency: string;
  successUrl: string;
  cancelUrl: string | null;
  clientReferenceId: string | null;
  customerEmail: string | null;
  metadata: Record<string, string>;
}

function readLineItem(value: FormValue, param: string): FakeLineItem & { currency: string } {
  const item = required(asObject(value, param), param);
  if (item.price !== undefined) {
    // Saved Prices live in a Stripe account; the app sends price_data instead.
    throw new ApiError(400, {
      type: 'invalid_request_error',
      message: `No such price: '${asString(item.price, `${param}[price]`) ?? ''}'`,
      param: `${param}[price]`,
      code: 'resource_missing',
    });
  }
  const quantity = required(asInteger(item.quantity, `${param}[quantity]`), `${param}[quantity]`);
  if (quantity < 1) throw invalid('This value must be greater than or equal to 1.', `${param}[quantity]`);
  const priceParam = `${param}[price_data]`;
  const price = required(asObject(item.price_data, priceParam), priceParam);
  const currency = required(asString(price.currency, `${priceParam}[currency]`), `${priceParam}[currency]`);
  if (!/^[a-zA-Z]{3}$/.test(currency)) {
    throw invalid(`Invalid currency: ${currency}`, `${priceParam}[currency]`);
  }
  const unitAmountParam = `${priceParam}[unit_amount]`;
  const unitAmount = required(asInteger(price.unit_amount, unitAmountParam), unitAmountParam);
  const productParam = `${priceParam}[product_data]`;
  const product = required(asObject(price.product_data, productParam), productParam);
  const name = required(asString(product.name, `${productParam}[name]`), `${productParam}[name]`);
  return { name, quantity, unitAmount, currency: currency.toLowerCase() };
}

function readCreate(params: FormObject): CreateRequest {
  const mode = required(asString(params.mode, 'mode'), 'mode');
  if (mode !== 'payment') throw invalid(`The fake Stripe only supports mode=payment, not ${mode}.`, 'mode');
  const rawItems = required(params.line_items, 'line_items');
  if (!Array.isArray(rawItems)) throw invalid('Invalid array', 'line_items');
  const items = rawItems.map((item, i) => readLineItem(item, `line_items[${i}]`));
  const currency = items[0]?.currency;
  if (currency === undefined) throw missing('line_items');
  if (items.some((item) => item.currency !== currency)) {
    throw invalid('All line items must use the same currency.', 'line_items');
  }
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(asObject(params.metadata, 'metadata') ?? {})) {
    const text = asString(value, `metadata[${key}]`);
    if (text !== undefined) metadata[key] = text;
  }
  return {
    lineItems: items.map(({ name, quantity, unitAmount }) => ({ name, quantity, unitAmount })),
    currency,
    // Required here because the fake's checkout page needs somewhere to send the buyer after paying.
    successUrl: required(asUrl(params.success_url, 'success_url'), 'success_url'),
    cancelUrl: asUrl(params.cancel_url, 'cancel_url') ?? null,
    clientReferenceId: asString(params.client_reference_id, 'client_reference_id') ?? null,
    customerEmail: asString(params.customer_email, 'customer_email') ?? null,
    metadata,
  };
}

/** Checkout metadata stays on the session; only payment_intent_data[metadata] reaches the charge. */
function paymentIntentMetadata(params: FormObject): Record<string, string> {
  const data = params.payment_intent_data;
  const metadata = typeof data === 'object' && !Array.isArray(data) ? data.metadata : undefined;
  if (typeof metadata !== 'object' || Array.isArray(metadata)) return {};
  return Object.fromEntries(
    Object.entries(metadata).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

function formatAmount(amount: number, currency: string): string {
  const format = new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() });
  // Amounts are in the smallest unit: cents for USD, whole yen for JPY.
  return format.format(amount / 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2));
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function successRedirect(session: CheckoutSessionObject): string {
  return session.success_url.replaceAll('{CHECKOUT_SESSION_ID}', session.id);
}

function checkoutPage(entry: FakeCheckoutSession): string {
  const { session } = entry;
  const total = formatAmount(session.amount_total, session.currency);
  const items = entry.lineItems
    .map((item) => {
      const price = formatAmount(item.unitAmount * item.quantity, session.currency);
      return `<li>${escapeHtml(item.name)} × ${item.quantity}: ${price}</li>`;
    })
    .join('');
  const body =
    session.status === 'open'
      ? `<ul>${items}</ul>
<p>Total: <strong>${total}</strong></p>
<form method="post" action="/checkout/${session.id}/pay"><button type="submit">Pay ${total}</button></form>
${session.cancel_url ? `<p><a href="${escapeHtml(session.cancel_url)}">Cancel</a></p>` : ''}`
      : `<p>This checkout session is already complete.</p>
<p><a href="${escapeHtml(successRedirect(session))}">Continue</a></p>`;
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Fake Stripe Checkout</title></head>
<body><main>
<h1>Fake Stripe Checkout</h1>
<p>Test mode: no real card is charged.</p>
${body}
</main></body>
</html>`;
}

function sendJson(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Request-Id': newId('req_', 14),
    ...headers,
  });
  res.end(body);
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(html);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

function checkAuth(header: string | undefined): void {
  const unauthorized = (message: string) => new ApiError(401, { type: 'invalid_request_error', message });
  if (!header) {
    throw unauthorized(
      "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
    );
  }
  // Only test keys: a live key pointed here by mistake should fail loudly, not "work".
  if (!/^Bearer sk_test_\S+$/.test(header)) {
    throw unauthorized(`Invalid API Key provided: ${header.replace(/^Bearer /, '').slice(0, 12)}****`);
  }
}

export async function startFakeStripe(opts: FakeStripeOptions): Promise<FakeStripe> {
  const sessions: FakeCheckoutSession[] = [];
  const deliveries: Delivery[] = [];
  // Stripe answers a repeated key with the first response, byte for byte, if the body matches.
  const idempotent = new Map<string, { requestBody: string; responseBody: string }>();
  let baseUrl = '';

  const find = (id: string): FakeCheckoutSession | undefined => sessions.find((s) => s.id === id);

  function event<T extends object>(type: string, object: T): FakeEvent<T> {
    return {
      id: newId('evt_'),
      object: 'event',
      type,
      api_version: Stripe.API_VERSION,
      created: nowSeconds(),
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      // A snapshot: later changes to the session must not rewrite events already sent.
      data: { object: structuredClone(object) },
    };
  }

  function signedEvent(ev: object, signOpts: { timestamp?: number; secret?: string } = {}) {
    // Stripe sends pretty-printed JSON, which catches handlers that verify a re-serialised body.
    const payload = JSON.stringify(ev, null, 2);
    const header = Stripe.webhooks.generateTestHeaderString({
      payload,
      secret: signOpts.secret ?? opts.webhookSecret,
      ...(signOpts.timestamp === undefined ? {} : { timestamp: signOpts.timestamp }),
    });
    return { payload, header };
  }

  async function send<E extends object>(ev: E): Promise<Delivery<E>> {
    const { payload, header } = signedEvent(ev);
    const res = await fetch(opts.webhookUrl, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json; charset=utf-8',
        'Stripe-Signature': header,
        'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
      },
      body: payload,
    }).catch((err: unknown) => {
      const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
      throw new Error(`Webhook ${opts.webhookUrl} is unreachable${cause}`, { cause: err });
    });
    const delivery = { status: res.status, event: ev, responseBody: await res.text() };
    deliveries.push(delivery);
    return delivery;
  }

  /**
   * Offline, an unreachable webhook usually means the app is not up yet (Stripe would retry for days);
   * undoing the step lets the same pay(), refund() or Pay click succeed once it is.
   */
  async function sendOrUndo<E extends object>(ev: E, undo: () => void): Promise<Delivery<E>> {
    try {
      return await send(ev);
    } catch (err) {
      undo();
      throw err;
    }
  }

  async function pay(sessionId: string, payOpts: PayOptions = {}) {
    const entry = find(sessionId);
    if (!entry) throw new Error(`No such checkout session: ${sessionId}`);
    const { session } = entry;
    if (session.status === 'complete') {
      if (session.payment_status === 'paid') throw new Error(`Checkout session ${sessionId} is already paid`);
      // The delayed payment (a bank debit, say) settles later: Stripe's second event.
      session.payment_status = 'paid';
      const settled = await sendOrUndo(event('checkout.session.async_payment_succeeded', session), () => {
        session.payment_status = 'unpaid';
      });
      return { ...settled, deliveries: [settled] };
    }
    const before = structuredClone(session);
    // Completed before the first await, so a double-submitted form cannot pay twice.
    session.status = 'complete';
    session.url = null;
    session.payment_intent = newId('pi_');
    session.payment_status = payOpts.async ? 'unpaid' : (payOpts.paymentStatus ?? 'paid');
    session.customer_details = { email: session.customer_email ?? 'buyer@example.com', name: 'Test Buyer' };
    if (payOpts.amountTotal !== undefined) session.amount_total = payOpts.amountTotal;
    if (payOpts.currency !== undefined) session.currency = payOpts.currency;
    entry.chargeId = newId('ch_');
    const first = await sendOrUndo(event('checkout.session.completed', session), () => {
      Object.assign(session, before);
      entry.chargeId = null;
    });
    if (!payOpts.async) return { ...first, deliveries: [first] };
    session.payment_status = 'paid';
    const second = await sendOrUndo(event('checkout.session.async_payment_succeeded', session), () => {
      session.payment_status = 'unpaid';
    });
    return { ...second, deliveries: [first, second] };
  }

  async function refund(sessionId: string, amount: number) {
    const entry = find(sessionId);
    if (!entry) throw new Error(`No such checkout session: ${sessionId}`);
    const { session } = entry;
    if (session.payment_status !== 'paid' || !session.payment_intent || !entry.chargeId) {
      throw new Error(`Checkout session ${sessionId} has no successful payment to refund`);
    }
    if (!Number.isInteger(amount) || amount < 1 || entry.amountRefunded + amount > session.amount_total) {
      throw new Error(
        `Refund of ${amount} is invalid: ${session.amount_total - entry.amountRefunded} is left to refund`,
      );
    }
    entry.amountRefunded += amount;
    const charge: ChargeObject = {
      id: entry.chargeId,
      object: 'charge',
      amount: session.amount_total,
      amount_captured: session.amount_total,
      amount_refunded: entry.amountRefunded,
      captured: true,
      created: session.created,
      currency: session.currency,
      livemode: false,
      metadata: paymentIntentMetadata(entry.params),
      paid: true,
      payment_intent: session.payment_intent,
      refunded: entry.amountRefunded === session.amount_total,
      status: 'succeeded',
    };
    return sendOrUndo(event('charge.refunded', charge), () => {
      entry.amountRefunded -= amount;
    });
  }

  function createSession(
    req: IncomingMessage,
    body: string,
  ): { status: number; body: string; replay: boolean } {
    if (body && !req.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) {
      throw invalid('The fake Stripe only accepts application/x-www-form-urlencoded bodies.');
    }
    const key = req.headers['idempotency-key'];
    const idempotencyKey = typeof key === 'string' ? key : null;
    const earlier = idempotencyKey === null ? undefined : idempotent.get(idempotencyKey);
    if (earlier) {
      if (earlier.requestBody !== body) {
        throw new ApiError(400, {
          type: 'idempotency_error',
          message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
        });
      }
      return { status: 200, body: earlier.responseBody, replay: true };
    }
    let params: FormObject;
    try {
      params = parseForm(body);
    } catch (err) {
      if (err instanceof FormError) throw invalid(err.message, err.param);
      throw err;
    }
    const request = readCreate(params);
    const id = newId('cs_test_', 58);
    const created = nowSeconds();
    const total = request.lineItems.reduce((sum, item) => sum + item.unitAmount * item.quantity, 0);
    const session: CheckoutSessionObject = {
      id,
      object: 'checkout.session',
      amount_subtotal: total,
      amount_total: total,
      cancel_url: request.cancelUrl,
      client_reference_id: request.clientReferenceId,
      created,
      currency: request.currency,
      customer: null,
      customer_details: null,
      customer_email: request.customerEmail,
      expires_at: created + 24 * 60 * 60,
      livemode: false,
      metadata: request.metadata,
      mode: 'payment',
      payment_intent: null,
      payment_status: 'unpaid',
      status: 'open',
      success_url: request.successUrl,
      url: `${opts.publicUrl?.replace(/\/$/, '') ?? baseUrl}/checkout/${id}`,
    };
    sessions.push({
      id,
      params,
      idempotencyKey,
      lineItems: request.lineItems,
      session,
      chargeId: null,
      amountRefunded: 0,
    });
    const responseBody = JSON.stringify(session);
    // Stripe keeps no result for requests that failed validation, so only successes are stored.
    if (idempotencyKey !== null) idempotent.set(idempotencyKey, { requestBody: body, responseBody });
    return { status: 200, body: responseBody, replay: false };
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const body = await readBody(req);
    try {
      checkAuth(req.headers.authorization);
      const sessionPath = /^\/v1\/checkout\/sessions\/([^/]+)$/.exec(path);
      if (req.method === 'POST' && path === '/v1/checkout/sessions') {
        const created = createSession(req, body);
        const key = req.headers['idempotency-key'];
        return sendJson(res, created.status, created.body, {
          ...(typeof key === 'string' ? { 'Idempotency-Key': key } : {}),
          ...(created.replay ? { 'Idempotent-Replayed': 'true' } : {}),
        });
      }
      if (req.method === 'GET' && sessionPath?.[1]) {
        const id = decodeURIComponent(sessionPath[1]);
        const entry = find(id);
        if (!entry) {
          throw new ApiError(404, {
            type: 'invalid_request_error',
            message: `No such checkout.session: '${id}'`,
            param: 'session',
            code: 'resource_missing',
          });
        }
        return sendJson(res, 200, JSON.stringify(entry.session));
      }
      throw new ApiError(404, {
        type: 'invalid_request_error',
        message: `Unrecognized request URL (${req.method ?? 'GET'}: ${path}). The fake Stripe only knows Checkout Sessions.`,
      });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      sendJson(res, err.status, JSON.stringify({ error: err.body }));
    }
  }

  async function handleCheckout(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const match = /^\/checkout\/([^/]+)(\/pay)?$/.exec(path);
    const entry = match?.[1] ? find(decodeURIComponent(match[1])) : undefined;
    if (!match || !entry)
      return sendHtml(res, 404, '<!doctype html><title>Not found</title><p>No such page.');
    if (!match[2] && req.method === 'GET') return sendHtml(res, 200, checkoutPage(entry));
    if (!match[2] || req.method !== 'POST')
      return sendHtml(res, 405, '<!doctype html><title>Method not allowed</title>');
    await readBody(req);
    // A repeated submit (back button, double click) just goes on, as Stripe's page would.
    if (entry.session.status === 'open') {
      try {
        await pay(entry.id);
      } catch (err) {
        // Stripe would redirect and retry later; offline it is more useful to say the app is not answering.
        const message = escapeHtml(err instanceof Error ? err.message : String(err));
        const page = `<!doctype html><title>Webhook failed</title><p>${message}. Nothing was paid: go back and try again.`;
        return sendHtml(res, 502, page);
      }
    }
    res.writeHead(303, { Location: successRedirect(entry.session) });
    res.end();
  }

  const server = createServer((req, res) => {
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const handled = path.startsWith('/v1/') ? handleApi(req, res, path) : handleCheckout(req, res, path);
    handled.catch((err: unknown) => {
      if (res.headersSent) return res.destroy();
      const error: StripeErrorBody = { type: 'api_error', message: `Fake Stripe crashed: ${String(err)}` };
      sendJson(res, 500, JSON.stringify({ error }));
    });
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url: baseUrl,
    host,
    port,
    sessions,
    deliveries,
    pay,
    refund,
    signedEvent,
    send,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // The stripe library keeps sockets alive; without this close() waits for them to time out.
        server.closeAllConnections();
      }),
  };
}
