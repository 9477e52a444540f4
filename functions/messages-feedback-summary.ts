import { app } from '@azure/functions';
import { feedbackSummaryQuery } from '../shared/contracts/feedback';
import { feedbackService } from '../shared/feedback/service';
import { http } from './platform/http';

/** The user's ratings counted by model, for the usage page. */
app.http('messages-feedback-summary', {
  route: 'feedback',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user', query: feedbackSummaryQuery }, async ({ core, user, query }) => ({
    headers: { 'Cache-Control': 'no-store' },
    jsonBody: await feedbackService(core).summary(user.id, query.days),
  })),
});
