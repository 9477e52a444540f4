import { describe, expect, it } from 'vitest';
import { loadConfig } from './config';
import { openServices } from './services';

describe('openServices', () => {
  it('on an Azure instance, refuses to start without DATABASE_URL rather than write PGlite to the instance disk', async () => {
    const config = loadConfig({
      WEBSITE_INSTANCE_ID: 'a1b2c3',
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      DATA_DIR: '/nonexistent/should-not-be-created',
    });
    await expect(openServices(config)).rejects.toThrow(
      /Bad configuration:\n {2}DATABASE_URL: required in Azure/,
    );
  });
});
