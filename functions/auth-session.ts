import { app } from '@azure/functions';
import { http } from './platform/http';

app.http('auth-session', {
  route: 'auth/session',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user' }, async ({ session }) => ({
    headers: { 'Cache-Control': 'no-store' },
    jsonBody: { user: session.user, csrfToken: session.csrfToken },
  })),
});
