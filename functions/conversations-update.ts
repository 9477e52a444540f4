import { app } from '@azure/functions';
import { updateConversationBody } from '../shared/contracts/conversations';
import { http } from './platform/http';

/** Rename, settings, pin, and switching the active branch. */
app.http('conversations-update', {
  route: 'conversations/{id}',
  methods: ['PATCH'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user', body: updateConversationBody }, async ({ core, user, params, body }) => ({
    jsonBody: { conversation: await core.conversations.update(user.id, params.id ?? '', body) },
  })),
});
