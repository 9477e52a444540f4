import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { handleHttp } from './platform/http';

export async function deleteConversation(req: HttpRequest, ctx: InvocationContext) {
  return handleHttp(req, ctx, { auth: 'user' }, async ({ services, user, params }) => {
    await services.conversations.delete(user.id, params.id ?? '');
    return { status: 204 };
  });
}

app.http('conversations-delete', {
  route: 'conversations/{id}',
  methods: ['DELETE'],
  authLevel: 'anonymous',
  handler: deleteConversation,
});
