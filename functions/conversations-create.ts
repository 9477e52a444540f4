import { app } from '@azure/functions';
import { createConversationBody } from '../shared/contracts/conversations';
import { http } from './platform/http';

app.http('conversations-create', {
  route: 'conversations',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user', body: createConversationBody }, async ({ core, user, body }) => ({
    status: 201,
    jsonBody: { conversation: await core.conversations.create(user.id, body) },
  })),
});
