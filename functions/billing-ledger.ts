import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { ledgerQuery } from '../shared/contracts/billing';
import { handleHttp } from './platform/http';

export async function listLedger(req: HttpRequest, ctx: InvocationContext) {
  return handleHttp(req, ctx, { auth: 'user' }, async ({ services, user, query }) => {
    const { limit, cursor } = ledgerQuery.parse(query);
    return {
      headers: { 'Cache-Control': 'no-store' },
      jsonBody: await services.billing.ledger(user.id, limit, cursor),
    };
  });
}

app.http('billing-ledger', {
  route: 'billing/ledger',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: listLedger,
});
