import { app } from '@azure/functions';
import { http } from './platform/http';

app.http('auth-providers', {
  route: 'auth/providers',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: http({ auth: 'none' }, async ({ core }) => ({ jsonBody: core.oauth.providers() })),
});
