import { app } from '@azure/functions';
import { registerBody } from '../shared/contracts/auth';
import { http, sessionCookie } from './platform/http';

app.http('auth-register', {
  route: 'auth/register',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: http(
    { auth: 'none', body: registerBody, maxBody: 8 * 1024 },
    async ({ core, body, clientKey, secureCookies }) => {
      const issued = await core.auth.register(body, clientKey);
      return {
        status: 201,
        jsonBody: { user: issued.user, csrfToken: issued.csrfToken },
        cookies: [sessionCookie(issued.token, issued.expiresAt, secureCookies)],
      };
    },
  ),
});
