import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { handleHttp } from './platform/http';

export async function getSession(req: HttpRequest, ctx: InvocationContext) {
  return handleHttp(req, ctx, { auth: 'user' }, async ({ session }) => ({
    headers: { 'Cache-Control': 'no-store' },
    jsonBody: { user: session.user, csrfToken: session.csrfToken },
  }));
}

app.http('auth-session', {
  route: 'auth/session',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: getSession,
});
