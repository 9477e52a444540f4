import { app } from '@azure/functions';
import { shareService } from '../shared/shares/service';
import { errorResponse, http } from './platform/http';

/**
 * A shared chat is read by anyone with the link, so its answer (and its 404) must neither be
 * framed by another site nor hand the link to one: no referrer, no framing, no caching, no index.
 */
export const PUBLIC_SHARE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Robots-Tag': 'noindex, nofollow',
});

app.http('shares-public', {
  route: 'public/shares/{id}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: http({ auth: 'none' }, async ({ core, params, ctx, clientKey }) => {
    try {
      return {
        headers: PUBLIC_SHARE_HEADERS,
        jsonBody: { share: await shareService(core).view(params.id ?? '', clientKey) },
      };
    } catch (err) {
      const answer = errorResponse(err, ctx);
      return {
        ...answer,
        headers: { ...(answer.headers as Record<string, string>), ...PUBLIC_SHARE_HEADERS },
      };
    }
  }),
});
