import { app } from '@azure/functions';
import { shareService } from '../shared/shares/service';
import { http } from './platform/http';

/** "Continue this chat": the viewer asked for a copy of the shared chat in their own account. */
app.http('shares-continue', {
  route: 'public/shares/{id}/continue',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user' }, async ({ core, user, params }) => ({
    status: 201,
    jsonBody: { conversation: await shareService(core).continueIn(user.id, params.id ?? '') },
  })),
});
