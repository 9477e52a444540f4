import { app } from '@azure/functions';
import { sendMessageBody } from '../shared/contracts/conversations';
import { http } from './platform/http';
import { sseResponse } from './platform/sse';

/** Streams the reply as server-sent events; refusals before the stream are plain JSON errors. */
app.http('messages-create', {
  route: 'conversations/{id}/messages',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: http(
    { auth: 'user', body: sendMessageBody, maxBody: 512 * 1024 },
    async ({ core, user, params, body }) => sseResponse(await core.chat.send(user.id, params.id ?? '', body)),
  ),
});
