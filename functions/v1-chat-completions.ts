import { app } from '@azure/functions';
import { completionChunks, completionInput, completionResponse } from '../shared/api-keys/openai';
import { chatCompletionBody } from '../shared/contracts/api-keys';
import { statusOf } from '../shared/contracts/errors';
import { http } from './platform/http';
import { sseDataResponse } from './platform/sse';

/** OpenAI's chat completions on the chat core: streamed as OpenAI chunks, or one response. */
app.http('v1-chat-completions', {
  route: 'v1/chat/completions',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: http(
    // Images arrive inline as data URLs: up to 4 of IMAGE_MAX_BYTES each would not fit the default.
    { auth: 'apiKey', body: chatCompletionBody, maxBody: 32 * 1024 * 1024 },
    async ({ core, key, body }) => {
      const events = await core.chat.complete(key.userId, completionInput(body, key));
      const framing = { model: body.model, created: Math.floor(core.clock.now().getTime() / 1000) };
      if (body.stream) {
        return sseDataResponse(
          completionChunks(events, { ...framing, includeUsage: body.stream_options?.include_usage ?? false }),
        );
      }
      const answer = await completionResponse(events, framing, (code) => statusOf[code]);
      return { status: answer.status, jsonBody: answer.body };
    },
  ),
});
