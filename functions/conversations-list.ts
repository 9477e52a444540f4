import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { listConversationsQuery } from '../shared/contracts/conversations';
import { handleHttp } from './platform/http';

export async function listConversations(req: HttpRequest, ctx: InvocationContext) {
  return handleHttp(req, ctx, { auth: 'user' }, async ({ services, user, query }) => ({
    jsonBody: await services.conversations.list(user.id, listConversationsQuery.parse(query)),
  }));
}

app.http('conversations-list', {
  route: 'conversations',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: listConversations,
});
