import { app } from '@azure/functions';
import { updatePresetBody } from '../shared/contracts/presets';
import { presetService } from '../shared/presets/service';
import { http } from './platform/http';

app.http('presets-update', {
  route: 'presets/{id}',
  methods: ['PATCH'],
  authLevel: 'anonymous',
  handler: http({ auth: 'user', body: updatePresetBody }, async ({ core, user, params, body }) => ({
    jsonBody: { preset: await presetService(core).update(user.id, params.id ?? '', body) },
  })),
});
