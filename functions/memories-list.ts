import { app } from '@azure/functions';
import { http } from './platform/http';

app.http('memories-list', {
  route: 'memories',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user' }, async ({ core, user }) => ({
    headers: { 'Cache-Control': 'no-store' },
    jsonBody: { memories: await core.memories.list(user.id) },
  })),
});
