import { app } from '@azure/functions';
import { http } from './platform/http';

/** The original bytes, as an attachment, to their owner only. */
app.http('documents-file', {
  route: 'documents/{id}/file',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user' }, async ({ core, user, params }) => {
    const file = await core.documents.file(user.id, params.id ?? '');
    return {
      headers: {
        'Content-Type': file.contentType,
        'Content-Disposition': `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`,
        'Cache-Control': 'private, no-store',
        'X-Content-Type-Options': 'nosniff',
      },
      body: file.bytes,
    };
  }),
});
