import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { createConversationBody } from '../shared/contracts/conversations';
import { handleHttp } from './platform/http';

export async function createConversation(req: HttpRequest, ctx: InvocationContext) {
  return handleHttp(req, ctx, { auth: 'user' }, async ({ services, user, body }) => ({
    status: 201,
    jsonBody: {
      conversation: await services.conversations.create(user.id, createConversationBody.parse(body ?? {})),
    },
  }));
}

app.http('conversations-create', {
  route: 'conversations',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: createConversation,
});
