import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { handleHttp } from './platform/http';

/** Stripe's webhook: verified on the raw body; no session and no CSRF header (Stripe has neither). */
export async function stripeWebhook(req: HttpRequest, ctx: InvocationContext) {
  return handleHttp(
    req,
    ctx,
    { auth: 'none', maxBody: 1024 * 1024, rawBody: true },
    async ({ services, body }) => {
      const { outcome } = await services.billing.webhook(
        typeof body === 'string' ? body : '',
        req.headers.get('stripe-signature'),
      );
      ctx.log(`stripe webhook: ${outcome}`);
      return { jsonBody: { received: true } };
    },
  );
}

app.http('billing-webhook', {
  route: 'billing/webhook',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: stripeWebhook,
});
