import { app } from '@azure/functions';
import { clearedSessionCookie, http } from './platform/http';

app.http('auth-logout', {
  route: 'auth/logout',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user' }, async ({ core, token, secureCookies }) => {
    if (token) await core.auth.logout(token);
    return { status: 204, cookies: [clearedSessionCookie(secureCookies)] };
  }),
});
