import { app } from '@azure/functions';
import { http } from './platform/http';

app.http('health-get', {
  route: 'health',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: http({ auth: 'none' }, async ({ core }) => {
    const { ok, body } = await core.health();
    return { status: ok ? 200 : 503, headers: { 'Cache-Control': 'no-store' }, jsonBody: body };
  }),
});
