import { app } from '@azure/functions';
import { http } from './platform/http';

/** Forget everything: every memory of the user goes. */
app.http('memories-forget', {
  route: 'memories',
  methods: ['DELETE'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user' }, async ({ core, user }) => {
    await core.memories.deleteAll(user.id);
    return { status: 204 };
  }),
});
