import { app } from '@azure/functions';
import { bindingCookie } from '../shared/auth/oauth';
import { oauthStartQuery } from '../shared/contracts/auth';
import { http } from './platform/http';

app.http('auth-oauth-start', {
  route: 'auth/{provider:regex(^(google|microsoft)$)}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: http(
    { auth: 'none', query: oauthStartQuery },
    async ({ core, query, params, token, clientKey, secureCookies, ctx }) => {
      const started = await core.oauth.start({
        provider: params.provider ?? '',
        returnTo: query.returnTo,
        sessionToken: token,
        clientKey,
      });
      if (started.failure) ctx.warn(`sign-in could not start: ${started.failure.detail}`);
      return {
        status: 302,
        headers: { Location: started.location, 'Cache-Control': 'no-store' },
        cookies: started.binding
          ? [bindingCookie(started.binding.value, secureCookies, started.binding.maxAgeSeconds)]
          : [],
      };
    },
  ),
});
