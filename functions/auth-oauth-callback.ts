import { app, type Cookie } from '@azure/functions';
import { bindingCookie, OAUTH_COOKIE } from '../shared/auth/oauth';
import { oauthCallbackQuery } from '../shared/contracts/auth';
import { http, readCookie, sessionCookie } from './platform/http';

app.http('auth-oauth-callback', {
  route: 'auth/{provider:regex(^(google|microsoft)$)}/callback',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: http(
    { auth: 'none', query: oauthCallbackQuery },
    async ({ core, query, params, token, req, secureCookies, ctx }) => {
      const result = await core.oauth.callback({
        provider: params.provider ?? '',
        query,
        binding: readCookie(req.headers.get('cookie'), OAUTH_COOKIE),
        sessionToken: token,
      });
      if (result.failure) {
        ctx.warn(`sign-in failed, ${result.failure.detail}`);
      }
      const cookies: Cookie[] = [bindingCookie('', secureCookies, 0)];
      if (result.issued)
        cookies.push(sessionCookie(result.issued.token, result.issued.expiresAt, secureCookies));
      return {
        status: 302,
        headers: { Location: result.location, 'Cache-Control': 'no-store' },
        cookies,
      };
    },
  ),
});
