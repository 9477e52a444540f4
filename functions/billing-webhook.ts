import { app } from '@azure/functions';
import { http } from './platform/http';

/** Stripe's webhook: verified on the raw body; no session and no CSRF header (Stripe has neither). */
app.http('billing-webhook', {
  route: 'billing/webhook',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: http({ auth: 'none', maxBody: 1024 * 1024, rawBody: true }, async ({ core, body, req, ctx }) => {
    const { outcome } = await core.billing.webhook(
      typeof body === 'string' ? body : '',
      req.headers.get('stripe-signature'),
    );
    ctx.log(`stripe webhook: ${outcome}`);
    return { jsonBody: { received: true } };
  }),
});
