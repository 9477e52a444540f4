import { app, type HttpResponseInit } from '@azure/functions';
import { usageQuery } from '../shared/contracts/billing';
import { attachment } from '../shared/conversations/export';
import { http } from './platform/http';

app.http('billing-usage', {
  route: 'billing/usage',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: http(
    { auth: 'user', query: usageQuery },
    async ({ core, user, query }): Promise<HttpResponseInit> => {
      if (query.format === 'csv') {
        return {
          headers: {
            'Content-Type': 'text/csv; charset=utf-8',
            'Content-Disposition': attachment(`gloriamundo-usage-${query.days}-days.csv`),
            'Cache-Control': 'no-store',
            'X-Content-Type-Options': 'nosniff',
          },
          body: await core.billing.usageCsv(user.id, query.days),
        };
      }
      return {
        headers: { 'Cache-Control': 'no-store' },
        jsonBody: await core.billing.usage(user.id, query.days),
      };
    },
  ),
});
