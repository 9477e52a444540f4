import { app } from '@azure/functions';
import { http } from './platform/http';

app.http('conversations-stop', {
  route: 'conversations/{id}/stop',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user' }, async ({ core, user, params }) => ({
    status: 202,
    jsonBody: await core.chat.stop(user.id, params.id ?? ''),
  })),
});
