import { app } from '@azure/functions';
import { http } from './platform/http';

app.http('documents-list', {
  route: 'documents',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user' }, async ({ core, user }) => ({
    headers: { 'Cache-Control': 'no-store' },
    jsonBody: { documents: await core.documents.list(user.id) },
  })),
});
