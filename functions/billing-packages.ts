import { app } from '@azure/functions';
import { http } from './platform/http';

app.http('billing-packages', {
  route: 'billing/packages',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user' }, async ({ core, user }) => ({
    jsonBody: await core.billing.packages(user.id),
  })),
});
