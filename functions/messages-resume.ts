import { app } from '@azure/functions';
import { resumeStreamQuery } from '../shared/contracts/conversations';
import { http } from './platform/http';
import { sseResponse } from './platform/sse';

/** Continues a reply that is still streaming (after a reload) from the text the client has. */
app.http('messages-resume', {
  route: 'conversations/{id}/messages/{messageId}/stream',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user', query: resumeStreamQuery }, async ({ core, user, params, query }) =>
    sseResponse(await core.chat.resume(user.id, params.id ?? '', params.messageId ?? '', query.from)),
  ),
});
