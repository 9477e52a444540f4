import { app } from '@azure/functions';
import { http } from './platform/http';

app.http('keys-delete', {
  route: 'keys/{id}',
  methods: ['DELETE'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user' }, async ({ core, user, params }) => {
    await core.apiKeys.revoke(user.id, params.id ?? '');
    return { status: 204 };
  }),
});
