import { app } from '@azure/functions';
import { shareService } from '../shared/shares/service';
import { http } from './platform/http';

app.http('shares-list', {
  route: 'shares',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user' }, async ({ core, user }) => ({
    headers: { 'Cache-Control': 'no-store' },
    jsonBody: { shares: await shareService(core).list(user.id) },
  })),
});
