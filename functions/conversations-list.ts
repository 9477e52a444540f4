import { app } from '@azure/functions';
import { listConversationsQuery } from '../shared/contracts/conversations';
import { http } from './platform/http';

app.http('conversations-list', {
  route: 'conversations',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user', query: listConversationsQuery }, async ({ core, user, query }) => ({
    headers: { 'Cache-Control': 'no-store' },
    jsonBody: await core.conversations.list(user.id, query),
  })),
});
