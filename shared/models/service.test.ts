import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDb } from '../../test/helpers/db';
import type { Db } from '../db/db';
import { modelService } from './service';

const catalogue = {
  data: [
    {
      id: 'fresh/model',
      name: 'Fresh',
      context_length: 8000,
      architecture: { input_modalities: ['text'] },
      pricing: { prompt: '0.000001', completion: '0.000002' },
      supported_parameters: ['max_tokens'],
    },
  ],
};

let db: Db;
let now = new Date('2026-12-01T10:00:00Z');
let fetches = 0;
beforeAll(async () => {
  db = await testDb();
});
afterAll(() => db.close());

describe('the model catalogue', () => {
  it('is fetched only when older than six hours, so a scale-out of many instances fetches once', async () => {
    const models = modelService({
      db,
      clock: { now: () => now },
      markup: 2,
      fetchCatalogue: () => {
        fetches++;
        return Promise.resolve(catalogue);
      },
    });
    // The shipped snapshot counts as old: the first timer run after install replaces it.
    await models.seedIfEmpty();
    expect(await models.refreshIfStale()).toEqual({ count: 1 });
    expect(fetches).toBe(1);
    // Every later run within six hours, on any instance, fetches nothing.
    now = new Date(now.getTime() + 5 * 3600_000);
    for (let i = 0; i < 5; i++) expect(await models.refreshIfStale()).toBeNull();
    expect(fetches).toBe(1);
    now = new Date(now.getTime() + 3600_000 + 1);
    expect(await models.refreshIfStale()).toEqual({ count: 1 });
    expect(fetches).toBe(2);
  });
});
