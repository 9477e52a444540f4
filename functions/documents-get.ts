import { app } from '@azure/functions';
import { http } from './platform/http';

app.http('documents-get', {
  route: 'documents/{id}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user' }, async ({ core, user, params }) => ({
    headers: { 'Cache-Control': 'no-store' },
    jsonBody: { document: await core.documents.get(user.id, params.id ?? '') },
  })),
});
