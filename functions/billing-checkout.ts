import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { checkoutBody } from '../shared/contracts/billing';
import { handleHttp } from './platform/http';

export async function startCheckout(req: HttpRequest, ctx: InvocationContext) {
  return handleHttp(req, ctx, { auth: 'user', maxBody: 4 * 1024 }, async ({ services, user, body }) => ({
    jsonBody: await services.billing.checkout(user, checkoutBody.parse(body).packageId),
  }));
}

app.http('billing-checkout', {
  route: 'billing/checkout',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: startCheckout,
});
