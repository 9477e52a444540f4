import { app } from '@azure/functions';
import { feedbackService } from '../shared/feedback/service';
import { http } from './platform/http';

app.http('messages-feedback-delete', {
  route: 'messages/{id}/feedback',
  methods: ['DELETE'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user' }, async ({ core, user, params }) => {
    await feedbackService(core).clear(user.id, params.id ?? '');
    return { status: 204 };
  }),
});
