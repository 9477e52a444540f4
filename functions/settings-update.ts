import { app } from '@azure/functions';
import { settingsBody } from '../shared/contracts/auth';
import { http } from './platform/http';

app.http('settings-update', {
  route: 'settings',
  methods: ['PATCH'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user', body: settingsBody, maxBody: 8 * 1024 }, async ({ core, user, body }) => ({
    jsonBody: { user: await core.auth.updateSettings(user.id, body) },
  })),
});
