import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { handleHttp } from './platform/http';

export async function stopReply(req: HttpRequest, ctx: InvocationContext) {
  return handleHttp(req, ctx, { auth: 'user' }, async ({ services, user, params }) => ({
    status: 202,
    jsonBody: await services.chat.stop(user.id, params.id ?? ''),
  }));
}

app.http('conversations-stop', {
  route: 'conversations/{id}/stop',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: stopReply,
});
