import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema, loadConfig } from './config';

describe('config', () => {
  it('has defaults for a bare machine', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(7071);
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.PRICE_MARKUP).toBe(2);
    expect(c.OPENROUTER_BASE_URL).toBe('https://openrouter.ai/api/v1');
  });

  it('names every bad key at once', () => {
    expect(() => loadConfig({ PORT: 'eighty', PRICE_MARKUP: '-1', DATABASE_URL: 'not a url' })).toThrow(
      /PORT[\s\S]*DATABASE_URL[\s\S]*PRICE_MARKUP|PORT[\s\S]*PRICE_MARKUP/,
    );
    try {
      loadConfig({ PORT: 'eighty', PRICE_MARKUP: '-1', DATABASE_URL: 'not a url' });
    } catch (err) {
      const msg = String(err);
      for (const key of ['PORT', 'PRICE_MARKUP', 'DATABASE_URL']) expect(msg).toContain(key);
    }
  });

  it('lists exactly the keys of local.settings.example.json', () => {
    const example = JSON.parse(
      fs.readFileSync(path.join(__dirname, '..', 'local.settings.example.json'), 'utf8'),
    ) as { Values: Record<string, string> };
    const runtimeOnly = ['FUNCTIONS_WORKER_RUNTIME', 'AzureWebJobsFeatureFlags'];
    const exampleKeys = Object.keys(example.Values)
      .filter((k) => !runtimeOnly.includes(k))
      .sort();
    expect(exampleKeys).toEqual(Object.keys(configSchema.shape).sort());
  });
});
