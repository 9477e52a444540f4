import { app } from '@azure/functions';
import { checkoutBody } from '../shared/contracts/billing';
import { http } from './platform/http';

app.http('billing-checkout', {
  route: 'billing/checkout',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user', body: checkoutBody, maxBody: 4 * 1024 }, async ({ core, user, body }) => ({
    jsonBody: await core.billing.checkout(user, body.packageId),
  })),
});
