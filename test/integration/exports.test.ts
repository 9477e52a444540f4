import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../helpers/client';
import { startStack, type Stack } from '../helpers/stack';

const SECRET = 'whsec_test_exports';
let stack: Stack;
let alice: ApiClient;
let bob: ApiClient;
let aliceId: string;
beforeAll(async () => {
  stack = await startStack({ env: { SIGNUP_BONUS_CREDITS: '10000000', STRIPE_WEBHOOK_SECRET: SECRET } });
  alice = new ApiClient(stack.url);
  bob = new ApiClient(stack.url);
  aliceId = (await alice.register()).user.id;
  await bob.register();
});
afterAll(() => stack.close());

const MODEL = 'openai/gpt-4o-mini';

async function say(
  id: string,
  content: string,
  answer: string,
  extra: Record<string, unknown> = {},
  client = alice,
) {
  stack.upstream.script({ text: answer });
  const res = await client.stream(id, { content, model: MODEL, ...extra });
  expect(res.error ?? res.events.at(-1)?.event).toBe('done');
  await stack.host.queues.waitIdle(10_000);
  return res.events[0]!.data as { userMessageId: string; messageId: string };
}

async function download(client: ApiClient, path: string) {
  const res = await fetch(stack.url + path, { headers: { cookie: client.cookie ?? '' } });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe('conversation export', () => {
  it('Markdown and JSON of the active branch, as attachments', async () => {
    const id = (await alice.post('/api/conversations', { title: 'Crème brûlée: tips!' })).body.conversation
      .id;
    await say(id, 'How hot should the oven be?', 'About **150 °C**.');
    const second = await say(id, 'How long?', '40 minutes.');
    // An edit of the second question: the old branch is no longer the active one.
    const first = (await alice.get(`/api/conversations/${id}`)).body.messages[1].id as string;
    await say(id, 'How long, in a water bath?', 'About 45 minutes.', { parentId: first });

    const md = await download(alice, `/api/conversations/${id}/export?format=md`);
    expect(md.status).toBe(200);
    expect(md.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    expect(md.headers.get('content-disposition')).toContain('attachment; filename="creme-brulee-tips.md"');
    expect(md.text.startsWith('# Crème brûlée: tips!\n')).toBe(true);
    expect(md.text).toContain('## You\n\nHow hot should the oven be?');
    expect(md.text).toContain(`## Assistant (${MODEL})\n\nAbout **150 °C**.`);
    expect(md.text).toContain('How long, in a water bath?');
    expect(md.text).not.toContain('40 minutes.');

    const json = await download(alice, `/api/conversations/${id}/export?format=json`);
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(json.headers.get('content-disposition')).toContain('filename="creme-brulee-tips.json"');
    const parsed = JSON.parse(json.text);
    expect(parsed.conversation).toMatchObject({ id, title: 'Crème brûlée: tips!' });
    const active = (await alice.get(`/api/conversations/${id}`)).body.messages.map(
      (m: { id: string }) => m.id,
    );
    expect(parsed.messages.map((m: { id: string }) => m.id)).toEqual(active);
    expect(parsed.messages.map((m: { id: string }) => m.id)).not.toContain(second.messageId);
    expect(parsed.messages[1]).toMatchObject({
      role: 'assistant',
      content: 'About **150 °C**.',
      model: MODEL,
    });

    // The default is Markdown; another format, another user or no session are refused.
    expect((await download(alice, `/api/conversations/${id}/export`)).headers.get('content-type')).toContain(
      'text/markdown',
    );
    expect((await download(alice, `/api/conversations/${id}/export?format=pdf`)).status).toBe(400);
    expect((await download(bob, `/api/conversations/${id}/export?format=md`)).status).toBe(404);
    expect((await download(new ApiClient(stack.url), `/api/conversations/${id}/export`)).status).toBe(401);
  });
});

describe('usage CSV', () => {
  it('one row per metered call, and the credits add up to the ledger’s usage rows', async () => {
    const carol = new ApiClient(stack.url);
    await carol.register();
    const id = await carol.newConversation();
    await say(id, 'One', 'First answer with some words in it.', {}, carol);
    await say(id, 'Two', 'Second answer.', {}, carol);
    await say(id, 'Three', 'Third answer, a little longer than the second.', {}, carol);

    const csv = await download(carol, '/api/billing/usage?format=csv&days=30');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toContain(
      'attachment; filename="gloriamundo-usage-30-days.csv"',
    );
    const [header, ...rows] = csv.text.trimEnd().split('\r\n');
    expect(header).toBe('time,purpose,model,prompt_tokens,completion_tokens,total_tokens,credits,dollars');
    const parsed = rows.map((r) => r.split(','));
    const replies = parsed.filter((r) => r[1] === 'reply');
    expect(replies).toHaveLength(3);
    for (const r of replies) {
      expect(Date.parse(r[0]!)).not.toBeNaN();
      expect(r[2]).toBe(MODEL);
      expect(Number(r[5])).toBe(Number(r[3]) + Number(r[4]));
      expect(Number(r[6])).toBeGreaterThan(0);
      expect(r[7]).toBe((Number(r[6]) / 100_000).toFixed(5));
    }
    const csvCredits = parsed.reduce((n, r) => n + Number(r[6]), 0);

    const ledger = (await carol.get('/api/billing/ledger?limit=200')).body.entries as {
      kind: string;
      credits: number;
    }[];
    const usage = ledger.filter((e) => e.kind === 'usage');
    expect(usage.length).toBeGreaterThanOrEqual(3);
    expect(csvCredits).toBe(-usage.reduce((n, e) => n + e.credits, 0));
    // The JSON report is unchanged by the format parameter's existence.
    expect((await carol.get('/api/billing/usage?days=30')).body.byModel[0]).toMatchObject({
      model: MODEL,
      replies: 3,
    });
    // Bob has no usage: the header alone.
    expect((await download(bob, '/api/billing/usage?format=csv')).text).toBe(`${header}\r\n`);
    expect((await download(carol, '/api/billing/usage?format=xml')).status).toBe(400);
  });
});

describe('receipts in the ledger', () => {
  let n = 0;
  const uid = (p: string) => `${p}_${Date.now()}_${++n}`;
  const event = (type: string, object: Record<string, unknown>) => ({
    id: uid('evt'),
    object: 'event',
    type,
    api_version: '2025-01-27.acacia',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    data: { object },
  });
  async function send(ev: object) {
    const payload = JSON.stringify(ev);
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET });
    return new ApiClient(stack.url).request('POST', '/api/billing/webhook', undefined, {
      rawBody: payload,
      headers: { 'stripe-signature': header, 'content-type': 'application/json' },
    });
  }
  const checkout = (session: string, pi: string) =>
    event('checkout.session.completed', {
      id: session,
      object: 'checkout.session',
      payment_status: 'paid',
      amount_total: 1000,
      currency: 'usd',
      client_reference_id: aliceId,
      metadata: { packageId: 'standard', userId: aliceId },
      payment_intent: pi,
    });
  const charge = (pi: string, receipt: string) =>
    event('charge.succeeded', { id: uid('ch'), object: 'charge', payment_intent: pi, receipt_url: receipt });

  it('a purchase links to the receipt its charge carried, whichever event came first', async () => {
    const [s1, pi1, s2, pi2, s3, pi3] = [uid('cs'), uid('pi'), uid('cs'), uid('pi'), uid('cs'), uid('pi')];
    // The receipt first, then the payment.
    expect((await send(charge(pi1, 'https://pay.stripe.com/receipts/one'))).status).toBe(200);
    expect((await send(checkout(s1, pi1))).status).toBe(200);
    // The payment first, then the receipt.
    expect((await send(checkout(s2, pi2))).status).toBe(200);
    expect((await send(charge(pi2, 'https://pay.stripe.com/receipts/two'))).status).toBe(200);
    // A payment whose charge never said where its receipt is.
    expect((await send(checkout(s3, pi3))).status).toBe(200);

    const entries = (await alice.get('/api/billing/ledger?limit=200')).body.entries as {
      kind: string;
      reference: string;
      receiptUrl: string | null;
    }[];
    const receiptOf = (s: string) => entries.find((e) => e.reference === `checkout:${s}`)?.receiptUrl;
    expect(receiptOf(s1)).toBe('https://pay.stripe.com/receipts/one');
    expect(receiptOf(s2)).toBe('https://pay.stripe.com/receipts/two');
    expect(receiptOf(s3)).toBeNull();
    for (const e of entries.filter((x) => x.kind !== 'purchase')) expect(e.receiptUrl).toBeNull();
  });

  it('a receipt address that is not a web address is refused and changes nothing', async () => {
    const [s, pi] = [uid('cs'), uid('pi')];
    expect((await send(checkout(s, pi))).status).toBe(200);
    const refused = await send(charge(pi, 'javascript:alert(1)'));
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain('receipt_url');
    const entries = (await alice.get('/api/billing/ledger?limit=200')).body.entries as {
      reference: string;
      receiptUrl: string | null;
    }[];
    expect(entries.find((e) => e.reference === `checkout:${s}`)?.receiptUrl).toBeNull();
  });
});
