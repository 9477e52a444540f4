import { cleanup, render, screen } from '@testing-library/preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api } from '../api';
import { SessionProvider } from '../session';
import UsagePage from './UsagePage';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

describe('UsagePage', () => {
  it('offers the CSV, counts ratings by model, and links each purchase to its receipt', async () => {
    vi.spyOn(api, 'usage').mockResolvedValue({
      byModel: [{ model: 'x/m', replies: 2, promptTokens: 10, completionTokens: 20, credits: 30 }],
      byDay: [],
    });
    vi.spyOn(api, 'feedbackSummary').mockResolvedValue({ byModel: [{ model: 'x/m', up: 3, down: 1 }] });
    vi.spyOn(api, 'ledger').mockResolvedValue({
      entries: [
        {
          id: 'l1',
          kind: 'purchase',
          credits: 1_000_000,
          balanceAfter: 1_000_000,
          reference: 'checkout:cs_1',
          receiptUrl: 'https://pay.stripe.com/receipts/r1',
          createdAt: '2026-01-01T00:00:00Z',
        },
        {
          id: 'l2',
          kind: 'purchase',
          credits: 1_000_000,
          balanceAfter: 2_000_000,
          reference: 'checkout:cs_2',
          receiptUrl: null,
          createdAt: '2026-01-02T00:00:00Z',
        },
      ],
      nextCursor: null,
    });
    vi.spyOn(api, 'session').mockResolvedValue({
      user: { id: 'u', email: 'v@example.com', identities: ['password'] } as never,
      csrfToken: 't',
    });
    render(
      <SessionProvider>
        <UsagePage modelsById={new Map()} />
      </SessionProvider>,
    );
    const csv = await screen.findByRole('link', { name: /Download CSV/ });
    expect(csv.getAttribute('href')).toBe('/api/billing/usage?days=30&format=csv');
    expect(csv.hasAttribute('download')).toBe(true);

    await screen.findByRole('heading', { name: 'Ratings by model' });
    const ratings = (await screen.findByText('3')).closest('tr')!;
    expect(ratings.textContent).toContain('x/m');
    expect(ratings.textContent).toContain('1');

    const receipts = await screen.findAllByRole('link', { name: /Receipt/ });
    expect(receipts).toHaveLength(1);
    expect(receipts[0]!.getAttribute('href')).toBe('https://pay.stripe.com/receipts/r1');
    expect(receipts[0]!.getAttribute('rel')).toBe('noopener noreferrer');
  });
});
