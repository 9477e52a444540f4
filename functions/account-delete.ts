import { app } from '@azure/functions';
import { deleteAccountBody } from '../shared/contracts/auth';
import { clearedSessionCookie, http } from './platform/http';

app.http('account-delete', {
  route: 'account',
  methods: ['DELETE'],
  authLevel: 'anonymous',
  handler: http(
    { auth: 'user', body: deleteAccountBody, maxBody: 8 * 1024 },
    async ({ core, session, body, secureCookies }) => {
      await core.auth.deleteAccount(session, body);
      return { status: 204, cookies: [clearedSessionCookie(secureCookies)] };
    },
  ),
});
