import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { registerBody } from '../shared/contracts/auth';
import { handleHttp, sessionCookie } from './platform/http';

export async function register(req: HttpRequest, ctx: InvocationContext) {
  return handleHttp(
    req,
    ctx,
    { auth: 'none', maxBody: 8 * 1024 },
    async ({ services, body, secureCookies }) => {
      const issued = await services.auth.register(registerBody.parse(body));
      return {
        status: 201,
        jsonBody: { user: issued.user, csrfToken: issued.csrfToken },
        cookies: [sessionCookie(issued.token, issued.expiresAt, secureCookies)],
      };
    },
  );
}

app.http('auth-register', {
  route: 'auth/register',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: register,
});
