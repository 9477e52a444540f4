import { app } from '@azure/functions';
import { http } from './platform/http';

app.http('models-list', {
  route: 'models',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: http({ auth: 'none' }, async ({ core }) => ({
    headers: { 'Cache-Control': 'public, max-age=300' },
    jsonBody: { models: await core.models.list() },
  })),
});
