import { app } from '@azure/functions';
import { loginBody } from '../shared/contracts/auth';
import { http, sessionCookie } from './platform/http';

app.http('auth-login', {
  route: 'auth/login',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: http(
    { auth: 'none', body: loginBody, maxBody: 8 * 1024 },
    async ({ core, body, clientKey, secureCookies }) => {
      const issued = await core.auth.login(body, clientKey);
      return {
        jsonBody: { user: issued.user, csrfToken: issued.csrfToken },
        cookies: [sessionCookie(issued.token, issued.expiresAt, secureCookies)],
      };
    },
  ),
});
