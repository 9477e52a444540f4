import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { settingsBody } from '../shared/contracts/auth';
import { handleHttp } from './platform/http';

export async function updateSettings(req: HttpRequest, ctx: InvocationContext) {
  return handleHttp(req, ctx, { auth: 'user', maxBody: 8 * 1024 }, async ({ services, user, body }) => ({
    jsonBody: { user: await services.auth.updateSettings(user.id, settingsBody.parse(body)) },
  }));
}

app.http('settings-update', {
  route: 'settings',
  methods: ['PATCH'],
  authLevel: 'anonymous',
  handler: updateSettings,
});
