import { app } from '@azure/functions';
import { shareService } from '../shared/shares/service';
import { http } from './platform/http';

app.http('shares-create', {
  route: 'conversations/{id}/shares',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user' }, async ({ core, user, params }) => ({
    status: 201,
    jsonBody: { share: await shareService(core).create(user.id, params.id ?? '') },
  })),
});
