import { cleanup, fireEvent, render, screen } from '@testing-library/preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HealthResponse } from '../../../shared/contracts/health';
import { DemoBanner } from './DemoBanner';

const health = (llm: string): HealthResponse => ({
  status: 'ok',
  checks: {
    database: 'pglite',
    storage: 'azurite',
    llm,
    embeddings: 'local-lexical',
    vectorStore: 'pgvector',
  },
});

const TEXT = "You're chatting with the offline demo model. Set OPENROUTER_API_KEY to use real models.";

beforeEach(() => localStorage.clear());
afterEach(cleanup);

describe('DemoBanner', () => {
  it('says so when the server runs the offline demo model, until dismissed, and remembers that', async () => {
    const check = vi.fn(async () => health('offline-demo'));
    render(<DemoBanner check={check} />);
    const banner = await screen.findByRole('status');
    expect(banner.textContent).toBe(TEXT);
    fireEvent.click(screen.getByRole('button', { name: 'Dismiss the demo model notice' }));
    expect(screen.queryByRole('status')).toBeNull();
    cleanup();

    render(<DemoBanner check={check} />);
    await new Promise((r) => setTimeout(r, 10));
    expect(screen.queryByRole('status')).toBeNull();
    expect(check).toHaveBeenCalledTimes(1);
  });

  it('stays away for a real upstream, and when health cannot be read', async () => {
    render(<DemoBanner check={async () => health('openrouter')} />);
    render(<DemoBanner check={() => Promise.reject(new Error('offline'))} />);
    await new Promise((r) => setTimeout(r, 10));
    expect(screen.queryByRole('status')).toBeNull();
  });
});
