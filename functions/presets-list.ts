import { app } from '@azure/functions';
import { presetService } from '../shared/presets/service';
import { http } from './platform/http';

app.http('presets-list', {
  route: 'presets',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user' }, async ({ core, user }) => ({
    headers: { 'Cache-Control': 'no-store' },
    jsonBody: { presets: await presetService(core).list(user.id) },
  })),
});
