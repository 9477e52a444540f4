import { app } from '@azure/functions';
import { feedbackBody } from '../shared/contracts/feedback';
import { feedbackService } from '../shared/feedback/service';
import { http } from './platform/http';

app.http('messages-feedback-put', {
  route: 'messages/{id}/feedback',
  methods: ['PUT'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user', body: feedbackBody }, async ({ core, user, params, body }) => ({
    jsonBody: { feedback: await feedbackService(core).set(user.id, params.id ?? '', body) },
  })),
});
