import { app } from '@azure/functions';
import { regenerateBody } from '../shared/contracts/conversations';
import { http } from './platform/http';
import { sseResponse } from './platform/sse';

/** A new reply to the same question, beside the old one (a branch); streamed like a first reply. */
app.http('messages-regenerate', {
  route: 'conversations/{id}/messages/{messageId}/regenerate',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: http(
    { auth: 'user', body: regenerateBody, maxBody: 8 * 1024 },
    async ({ core, user, params, body }) =>
      sseResponse(await core.chat.regenerate(user.id, params.id ?? '', params.messageId ?? '', body)),
  ),
});
