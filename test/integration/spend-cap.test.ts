import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../helpers/client';
import { startStack, type Stack } from '../helpers/stack';

/** The monthly spending cap a user sets is enforced by the same hold that guards the balance. */
let stack: Stack;
const MINI = 'openai/gpt-4o-mini'; // 0.12 credits per reply token with the markup

beforeAll(async () => {
  stack = await startStack({ env: { SIGNUP_BONUS_CREDITS: '1000000', MEMORY_ENABLED: 'false' } });
});
afterAll(() => stack.close());

describe('the monthly spending cap', () => {
  it('is a setting the user object reports, with the low-balance warning level', async () => {
    const c = new ApiClient(stack.url);
    await c.register();
    const res = await c.patch('/api/settings', { monthlySpendCapCredits: 5000, lowBalanceCredits: 20000 });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ monthlySpendCapCredits: 5000, lowBalanceCredits: 20000 });
    expect((await c.patch('/api/settings', { monthlySpendCapCredits: -1 })).status).toBe(400);
    const cleared = await c.patch('/api/settings', { monthlySpendCapCredits: null });
    expect(cleared.body.user.monthlySpendCapCredits).toBeNull();
  });

  it('refuses a reply whose hold would pass it, before any upstream call, and allows one within it', async () => {
    const c = new ApiClient(stack.url);
    await c.register();
    // A 4,096-token reply holds about 492 credits; 300 cannot cover it, 1,000 can.
    await c.patch('/api/settings', { monthlySpendCapCredits: 300 });
    const id = await c.newConversation();
    stack.upstream.reset();
    const refused = await c.stream(id, { content: 'hi', model: MINI, maxTokens: 4096 });
    expect(refused.status).toBe(402);
    expect(refused.error.error.code).toBe('spend_cap_reached');
    expect(refused.error.error.message).toMatch(/past your cap of 300 \(0 so far\)/);
    expect(stack.upstream.requests.filter((r) => r.path.endsWith('/chat/completions'))).toHaveLength(0);
    expect((await c.get(`/api/conversations/${id}`)).body.messages).toEqual([]);

    await c.patch('/api/settings', { monthlySpendCapCredits: 1000 });
    stack.upstream.script({ text: 'Within the cap.' });
    const ok = await c.stream(id, { content: 'hi', model: MINI, maxTokens: 4096 });
    expect(ok.events.at(-1)).toEqual({ event: 'done', data: { status: 'complete' } });
    // What this reply cost now counts: the next 4,096-token hold would pass 1,000.
    const spent = (ok.events.find((e) => e.event === 'usage')!.data as { credits: number }).credits;
    await c.patch('/api/settings', { monthlySpendCapCredits: spent + 400 });
    const again = await c.stream(id, { content: 'more', model: MINI, maxTokens: 4096 });
    expect(again.status).toBe(402);
    expect(again.error.error.message).toContain(`(${spent.toLocaleString('en-US')} so far)`);
  });
});
