import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { sendMessageBody } from '../shared/contracts/conversations';
import { handleHttp } from './platform/http';

/** Streams the reply as server-sent events; refusals before the stream are plain JSON errors. */
export async function sendMessage(req: HttpRequest, ctx: InvocationContext) {
  return handleHttp(
    req,
    ctx,
    { auth: 'user', maxBody: 512 * 1024 },
    async ({ services, user, params, body }) => {
      const stream = await services.chat.send(user.id, params.id ?? '', sendMessageBody.parse(body));
      return {
        headers: {
          'Content-Type': 'text/event-stream; charset=utf-8',
          'Cache-Control': 'no-cache, no-transform',
          'X-Accel-Buffering': 'no',
        },
        body: stream,
      };
    },
  );
}

app.http('messages-create', {
  route: 'conversations/{id}/messages',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: sendMessage,
});
