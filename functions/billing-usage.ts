import { app } from '@azure/functions';
import { usageQuery } from '../shared/contracts/billing';
import { http } from './platform/http';

app.http('billing-usage', {
  route: 'billing/usage',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user', query: usageQuery }, async ({ core, user, query }) => ({
    headers: { 'Cache-Control': 'no-store' },
    jsonBody: await core.billing.usage(user.id, query.days),
  })),
});
