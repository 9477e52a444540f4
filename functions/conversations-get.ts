import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { handleHttp } from './platform/http';

export async function getConversation(req: HttpRequest, ctx: InvocationContext) {
  return handleHttp(req, ctx, { auth: 'user' }, async ({ services, user, params }) => ({
    headers: { 'Cache-Control': 'no-store' },
    jsonBody: await services.conversations.get(user.id, params.id ?? ''),
  }));
}

app.http('conversations-get', {
  route: 'conversations/{id}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: getConversation,
});
