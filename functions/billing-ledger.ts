import { app } from '@azure/functions';
import { ledgerQuery } from '../shared/contracts/billing';
import { http } from './platform/http';

app.http('billing-ledger', {
  route: 'billing/ledger',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user', query: ledgerQuery }, async ({ core, user, query }) => ({
    headers: { 'Cache-Control': 'no-store' },
    jsonBody: await core.billing.ledger(user.id, query.limit, query.cursor),
  })),
});
