import { app } from '@azure/functions';
import { http } from './platform/http';

app.http('conversations-delete', {
  route: 'conversations/{id}',
  methods: ['DELETE'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user' }, async ({ core, user, params }) => {
    await core.conversations.delete(user.id, params.id ?? '');
    return { status: 204 };
  }),
});
