import { app } from '@azure/functions';
import { createMemoryBody } from '../shared/contracts/memories';
import { http } from './platform/http';

app.http('memories-create', {
  route: 'memories',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user', body: createMemoryBody }, async ({ core, user, body }) => ({
    status: 201,
    jsonBody: { memory: await core.memories.create(user.id, body) },
  })),
});
