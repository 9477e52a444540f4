import { app } from '@azure/functions';
import { http } from './platform/http';

app.http('memories-delete', {
  route: 'memories/{id}',
  methods: ['DELETE'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user' }, async ({ core, user, params }) => {
    await core.memories.delete(user.id, params.id ?? '');
    return { status: 204 };
  }),
});
