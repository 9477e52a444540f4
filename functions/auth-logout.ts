import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { clearedSessionCookie, handleHttp } from './platform/http';

export async function logout(req: HttpRequest, ctx: InvocationContext) {
  return handleHttp(req, ctx, { auth: 'user' }, async ({ services, token, secureCookies }) => {
    if (token) await services.auth.logout(token);
    return { status: 204, cookies: [clearedSessionCookie(secureCookies)] };
  });
}

app.http('auth-logout', { route: 'auth/logout', methods: ['POST'], authLevel: 'anonymous', handler: logout });
