import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { handleHttp } from './platform/http';

export async function listPackages(req: HttpRequest, ctx: InvocationContext) {
  return handleHttp(req, ctx, { auth: 'user' }, async ({ services, user }) => ({
    jsonBody: await services.billing.packages(user.id),
  }));
}

app.http('billing-packages', {
  route: 'billing/packages',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: listPackages,
});
