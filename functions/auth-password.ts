import { app } from '@azure/functions';
import { passwordBody } from '../shared/contracts/auth';
import { http } from './platform/http';

app.http('auth-password', {
  route: 'auth/password',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user', body: passwordBody, maxBody: 8 * 1024 }, async ({ core, session, body }) => {
    await core.auth.setPassword(session, body);
    return { status: 204 };
  }),
});
