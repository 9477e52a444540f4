import { app } from '@azure/functions';
import { http } from './platform/http';

app.http('keys-list', {
  route: 'keys',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user' }, async ({ core, user }) => ({
    jsonBody: { keys: await core.apiKeys.list(user.id) },
  })),
});
