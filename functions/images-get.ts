import { app } from '@azure/functions';
import { http } from './platform/http';

/**
 * An image's stored bytes, to their owner only. They are the user's own, re-encoded upload:
 * cached by their browser only, never sniffed into something else, never a document that runs.
 */
app.http('images-get', {
  route: 'images/{id}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user' }, async ({ core, user, params }) => {
    const image = await core.images.file(user.id, params.id ?? '');
    return {
      headers: {
        'Content-Type': image.contentType,
        // An image id never names other bytes, so the browser may keep it; shared caches may not.
        'Cache-Control': 'private, max-age=86400, immutable',
        'X-Content-Type-Options': 'nosniff',
        'Content-Security-Policy': "default-src 'none'; sandbox",
        'Content-Disposition': 'inline',
      },
      body: image.bytes,
    };
  }),
});
