import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { loginBody } from '../shared/contracts/auth';
import { handleHttp, sessionCookie } from './platform/http';

export async function login(req: HttpRequest, ctx: InvocationContext) {
  return handleHttp(
    req,
    ctx,
    { auth: 'none', maxBody: 8 * 1024 },
    async ({ services, body, clientKey, secureCookies }) => {
      const issued = await services.auth.login(loginBody.parse(body), clientKey);
      return {
        jsonBody: { user: issued.user, csrfToken: issued.csrfToken },
        cookies: [sessionCookie(issued.token, issued.expiresAt, secureCookies)],
      };
    },
  );
}

app.http('auth-login', { route: 'auth/login', methods: ['POST'], authLevel: 'anonymous', handler: login });
