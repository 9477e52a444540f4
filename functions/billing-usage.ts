import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { usageQuery } from '../shared/contracts/billing';
import { handleHttp } from './platform/http';

export async function getUsage(req: HttpRequest, ctx: InvocationContext) {
  return handleHttp(req, ctx, { auth: 'user' }, async ({ services, user, query }) => ({
    headers: { 'Cache-Control': 'no-store' },
    jsonBody: await services.billing.usage(user.id, usageQuery.parse(query).days),
  }));
}

app.http('billing-usage', {
  route: 'billing/usage',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: getUsage,
});
