import { app } from '@azure/functions';
import { createPresetBody } from '../shared/contracts/presets';
import { presetService } from '../shared/presets/service';
import { http } from './platform/http';

app.http('presets-create', {
  route: 'presets',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user', body: createPresetBody }, async ({ core, user, body }) => ({
    status: 201,
    jsonBody: { preset: await presetService(core).create(user.id, body) },
  })),
});
