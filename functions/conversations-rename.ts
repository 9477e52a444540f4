import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { renameConversationBody } from '../shared/contracts/conversations';
import { handleHttp } from './platform/http';

export async function renameConversation(req: HttpRequest, ctx: InvocationContext) {
  return handleHttp(req, ctx, { auth: 'user' }, async ({ services, user, params, body }) => {
    const { title } = renameConversationBody.parse(body);
    return {
      jsonBody: { conversation: await services.conversations.rename(user.id, params.id ?? '', title) },
    };
  });
}

app.http('conversations-rename', {
  route: 'conversations/{id}',
  methods: ['PATCH'],
  authLevel: 'anonymous',
  handler: renameConversation,
});
