import { app } from '@azure/functions';
import { updateMemoryBody } from '../shared/contracts/memories';
import { http } from './platform/http';

app.http('memories-update', {
  route: 'memories/{id}',
  methods: ['PATCH'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user', body: updateMemoryBody }, async ({ core, user, params, body }) => ({
    jsonBody: { memory: await core.memories.update(user.id, params.id ?? '', body.text) },
  })),
});
