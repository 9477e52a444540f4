import { app } from '@azure/functions';
import { createApiKeyBody } from '../shared/contracts/api-keys';
import { http } from './platform/http';

/** The secret is in this answer only: nobody, us included, can show it again. */
app.http('keys-create', {
  route: 'keys',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user', body: createApiKeyBody }, async ({ core, user, body }) => ({
    status: 201,
    headers: { 'Cache-Control': 'no-store' },
    jsonBody: await core.apiKeys.create(user.id, body),
  })),
});
