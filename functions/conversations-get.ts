import { app } from '@azure/functions';
import { http } from './platform/http';

app.http('conversations-get', {
  route: 'conversations/{id}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user' }, async ({ core, user, params }) => ({
    headers: { 'Cache-Control': 'no-store' },
    jsonBody: await core.conversations.get(user.id, params.id ?? ''),
  })),
});
